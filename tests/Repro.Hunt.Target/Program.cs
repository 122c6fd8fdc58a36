using Repro.Hunt.Target;

// repro hunt's test subject. `--plant a,b,...` runs the clean part, then the named plants in the order of
// Plants.Names; `--plant all` runs every plant; `--plant none` (the default) is the clean program, whose every op
// must come out the same under every condition repro hunt varies. Each plant feeds a value into the engine on the
// line marked `// plant: <name>` in Plants.cs (the tests find the lines by that marker).
var chosen = Plants.Parse(args);
if (chosen is null)
{
    Console.Error.WriteLine($"usage: repro-hunt-target [--plant none|all|{string.Join('|', Plants.Names)}[,...]]");
    return 2;
}

Console.WriteLine("clean " + Plants.Clean());
foreach (var name in Plants.Names.Where(chosen.Contains))
{
    Console.WriteLine(name + " " + Plants.Run(name));
}

return 0;
