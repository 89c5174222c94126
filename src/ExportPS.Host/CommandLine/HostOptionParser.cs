namespace ExportPS.Host.CommandLine;

/// <summary>Turns one option's argument (keyval or JSON) into the step it asks for.</summary>
internal static class HostOptionParser
{
    public static HostStep Parse(HostOption option) => option.Name switch
    {
        "blockdev" => new AddBlockNodeStep(BlockdevParser.Parse(Tree(option.Argument, "driver"))),
        "nbd-server" => new StartNbdServerStep(NbdServerParser.Parse(Tree(option.Argument, impliedKey: null))),
        "export" => new AddBlockExportStep(ExportParser.Parse(Tree(option.Argument, "type"))),
        "object" => ObjectParser.Parse(Tree(option.Argument, "qom-type")),
        _ => throw new CommandLineException($"unrecognized option '--{option.Name}'"),
    };

    /// <summary>An option's argument as an option tree: JSON when it starts with '{', keyval otherwise.</summary>
    public static OptionMap Tree(string argument, string? impliedKey) =>
        JsonOptionParser.LooksLikeJson(argument) ? JsonOptionParser.Parse(argument) : KeyValParser.Parse(argument, impliedKey);
}
