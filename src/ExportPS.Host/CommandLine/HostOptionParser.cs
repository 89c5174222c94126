using ExportPS.Engine.Qapi;

namespace ExportPS.Host.CommandLine;

/// <summary>
/// Turns one option's argument (keyval or JSON) into the step it asks for. Each option is read by the engine's reader
/// of the QMP command it stands for, as qemu-storage-daemon reads --blockdev with blockdev-add's visitor.
/// </summary>
internal static class HostOptionParser
{
    public static HostStep Parse(HostOption option) => option.Name switch
    {
        "blockdev" => new AddBlockNodeStep(BlockNodeOptionsReader.Read(Reader(option.Argument, "driver"))),
        "nbd-server" => new StartNbdServerStep(NbdServerOptionsReader.Read(Reader(option.Argument, impliedKey: null), legacyAddress: false)),
        "export" => new AddBlockExportStep(BlockExportOptionsReader.Read(Reader(option.Argument, "type"))),
        "object" => new AddObjectStep(UserObjectOptionsReader.Read(Reader(option.Argument, "qom-type"))),
        "netdev" => new AddNetdevStep(NetdevOptionsReader.Read(Reader(option.Argument, "type"))),
        _ => throw new CommandLineException($"unrecognized option '--{option.Name}'"),
    };

    /// <summary>An option's argument as an option tree: JSON when it starts with '{', keyval otherwise.</summary>
    public static OptionMap Tree(string argument, string? impliedKey) =>
        JsonOptionParser.LooksLikeJson(argument) ? JsonOptionParser.Parse(argument) : KeyValParser.Parse(argument, impliedKey);

    private static OptionReader Reader(string argument, string? impliedKey) => new(Tree(argument, impliedKey));
}
