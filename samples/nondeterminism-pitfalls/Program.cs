// Each line marked "expect" is a pitfall that Repro.Analyzers reports; the comment above it says why it breaks
// reproducibility. Run `dotnet build` here to see the warnings, or open the folder in an IDE.
using Pitfalls;

Console.WriteLine(DataPitfalls.TrainTestSplit(["a.png", "b.png", "c.png"]).Train.Count);
Console.WriteLine(NumericPitfalls.Mean([1f, 2f, 3f]));
