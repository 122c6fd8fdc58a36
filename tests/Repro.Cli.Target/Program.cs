using System.Globalization;
using Repro.Engine;

// Modes (first argument):
//   ops N    N small ops, then exit 0
//   throw    a few ops, then a matmul with shapes that do not fit (an unhandled exception)
//   wait     a few ops, then "ready PID" on standard output, then an op every few milliseconds until stopped
var mode = args.Length > 0 ? args[0] : "ops";
var x = Tensor.FromArray([1f, 2f, 3f, 4f, 5f, 6f], [2, 3]);
var y = x.Mul(2.0).Add(1.0);
switch (mode)
{
    case "ops":
        int n = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 100;
        for (int i = 0; i < n; i++)
        {
            y = y.Mul(0.5).Add(1.0);
        }

        Console.WriteLine("done " + y.Sum().ContentHash());
        return 0;
    case "throw":
        var w = Tensor.FromArray([1f, 2f], [2, 1]);
        Console.WriteLine(Tensor.MatMul(y, w).ContentHash()); // [2, 3] x [2, 1]: the inner sizes differ
        return 0;
    case "wait":
        Console.WriteLine("ready " + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        Console.Out.Flush();
        // At most about a minute (12,000 steps of 5 ms) if nobody stops it.
        for (int step = 0; step < 12_000; step++)
        {
            y = y.Mul(0.5).Add(1.0);
            Thread.Sleep(5);
        }

        return 3;
    default:
        Console.Error.WriteLine("unknown mode " + mode);
        return 2;
}
