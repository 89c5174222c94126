using System.Globalization;

namespace ExportPS.Engine.Model;

/// <summary>
/// NetdevVdeOptions: a port on a VDE switch (vde_switch), reached through libvdeplug. sock= names the switch (its
/// control directory, or a libvdeplug URL such as vde:///run/vde.ctl); unset, libvdeplug's default switch. port= asks
/// for one port of the switch (0 or unset: the switch picks a free one); group= and mode= set the owner group and the
/// permissions of the port's data socket.
/// </summary>
public sealed record VdeNetdevOptions : NetdevOptions
{
    public const string TypeName = "vde";

    /// <summary>QEMU's mode for the port's socket when mode= is unset (0700).</summary>
    public const ushort DefaultMode = 448;

    public override string Type => TypeName;

    public string? Sock { get; init; }

    public ushort? Port { get; init; }

    public string? Group { get; init; }

    /// <summary>Permission bits of the port's data socket (octal on the command line, as a file mode).</summary>
    public ushort? Mode { get; init; }

    /// <summary>A mode in the octal form that the command line reads back (0700).</summary>
    public static string OctalMode(ushort mode) => "0" + Convert.ToString(mode, 8);

    public override string Summary() => NetdevSummary.Join(
        ("sock", Sock), ("port", Port?.ToString(CultureInfo.InvariantCulture)), ("group", Group), ("mode", Mode is { } mode ? OctalMode(mode) : null));
}
