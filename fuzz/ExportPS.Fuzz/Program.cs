using ExportPS.Fuzz;
using SharpFuzz;

// exportps-fuzz TARGET            runs TARGET under afl-fuzz (SharpFuzz's out-of-process loop; see fuzz/run.sh)
// exportps-fuzz TARGET FILE...    runs TARGET once on each FILE, without AFL (reproduces a crash or a hang)
// exportps-fuzz --list            prints the target names
if (args.Length == 0 || args[0] is "-h" or "--help")
{
    Console.Error.WriteLine("usage: ExportPS.Fuzz TARGET [FILE...] | --list");
    return 2;
}

if (args[0] == "--list")
{
    foreach (var target in FuzzTargets.All)
    {
        Console.WriteLine(target.Name);
    }

    return 0;
}

var selected = FuzzTargets.Find(args[0]);
if (selected is null)
{
    Console.Error.WriteLine($"unknown target '{args[0]}': one of {string.Join(", ", FuzzTargets.All.Select(t => t.Name))}");
    return 2;
}

if (args.Length > 1)
{
    foreach (string file in args.Skip(1))
    {
        Console.WriteLine(file);
        selected.Run(File.ReadAllBytes(file));
    }

    return 0;
}

Fuzzer.OutOfProcess.Run(stream =>
{
    using var copy = new MemoryStream();
    stream.CopyTo(copy);
    selected.Run(copy.ToArray());
});
return 0;
