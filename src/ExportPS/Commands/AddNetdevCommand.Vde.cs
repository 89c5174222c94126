using System.Management.Automation;
using ExportPS.Engine.Model;

namespace ExportPS.Commands;

/// <summary>
/// Add-Netdev's Vde set (a port on a VDE switch, picked by -Vde) and Bridge set (a tap the bridge helper attaches to
/// the bridge -Bridge names; -Helper is shared with the Tap set).
/// </summary>
public sealed partial class AddNetdevCommand
{
    private const string VdeSet = "Vde";
    private const string BridgeSet = "Bridge";

    /// <summary>A vde netdev (QEMU's vde type).</summary>
    [Parameter(Mandatory = true, ParameterSetName = VdeSet)]
    public SwitchParameter Vde { get; set; }

    /// <summary>vde sock=: the switch's control directory (a PowerShell path) or a libvdeplug URL (vde:///run/vde.ctl); default libvdeplug's.</summary>
    [Parameter(ParameterSetName = VdeSet)]
    [ValidateNotNullOrEmpty]
    public string? Socket { get; set; }

    /// <summary>vde port=: the switch port to take (0 or unset: a free one).</summary>
    [Parameter(ParameterSetName = VdeSet)]
    public ushort Port { get; set; }

    /// <summary>vde group=: the group owner of the port's socket.</summary>
    [Parameter(ParameterSetName = VdeSet)]
    [ValidateNotNullOrEmpty]
    public string? Group { get; set; }

    /// <summary>vde mode=: the permissions of the port's socket, in octal as chmod writes them ("0700", QEMU's default).</summary>
    [Parameter(ParameterSetName = VdeSet)]
    [ValidatePattern("^[0-7]{1,6}$")]
    public string? Mode { get; set; }

    private VdeNetdevOptions VdeOptions() => new()
    {
        Id = Id,
        Peer = Peer,
        Sock = Socket is null || Socket.Contains("://", StringComparison.Ordinal) ? Socket : SessionState.Path.GetUnresolvedProviderPathFromPSPath(Socket),
        Port = IfBound(Port),
        Group = Group,
        Mode = Mode is null ? null : OctalMode(Mode),
    };

    /// <summary>The octal digits -Mode's pattern allows, as a number; more than 16 bits is refused.</summary>
    private static ushort OctalMode(string text) => Convert.ToInt32(text, 8) is var mode and <= ushort.MaxValue
        ? (ushort)mode
        : throw new FormatException($"-Mode '{text}' is more than 16 bits of permissions");
}
