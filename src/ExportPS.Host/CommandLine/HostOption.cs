namespace ExportPS.Host.CommandLine;

/// <summary>One option of the command line with its argument, e.g. <c>--blockdev driver=file,...</c>, as given.</summary>
internal sealed record HostOption(string Name, string Argument)
{
    /// <summary>The option as QEMU quotes it in an error message.</summary>
    public override string ToString() => $"--{Name} {Argument}";
}
