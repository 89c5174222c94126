namespace ExportPS.Engine.Model;

/// <summary>
/// NetdevTapOptions: a host TAP interface. One of four ways to get it: open /dev/net/tun (ifname=, queues=, script=,
/// downscript=, vnet_hdr=), adopt an open tap descriptor (fd=) or several of one multiqueue tap (fds=, colon-separated),
/// or have a bridge helper open one and attach it to bridge br= (helper=). The vhost options and poll-us tune vhost-net,
/// which moves a guest NIC's queues into the kernel; ExportPS has no guest NIC, so they are refused when they ask for it.
/// </summary>
public sealed record TapNetdevOptions : NetdevOptions
{
    public const string TypeName = "tap";

    /// <summary>Debian's qemu-bridge-helper, QEMU's default helper.</summary>
    public const string DefaultHelper = "/usr/lib/qemu/qemu-bridge-helper";

    /// <summary>QEMU's default bridge for the helper.</summary>
    public const string DefaultBridge = "br0";

    /// <summary>The most queues of one tap (the kernel's MAX_TAP_QUEUES).</summary>
    public const int MaxQueues = 256;

    public override string Type => TypeName;

    public string? IfName { get; init; }

    public string? Fd { get; init; }

    public string? Fds { get; init; }

    /// <summary>Run with the interface name once it exists; "no" or unset: none (QEMU's default is /etc/qemu-ifup).</summary>
    public string? Script { get; init; }

    /// <summary>Run with the interface name when the netdev is removed; "no" or unset: none.</summary>
    public string? DownScript { get; init; }

    public string? Br { get; init; }

    public string? Helper { get; init; }

    /// <summary>The tap's send buffer limit in bytes (TUNSETSNDBUF); unset: the kernel's default.</summary>
    public long? SndBuf { get; init; }

    /// <summary>Frames on the tap carry a virtio-net header, which ExportPS strips and adds (its other ports carry plain Ethernet).</summary>
    public bool? VnetHdr { get; init; }

    public bool? Vhost { get; init; }

    public string? VhostFd { get; init; }

    public string? VhostFds { get; init; }

    public bool? VhostForce { get; init; }

    public uint? Queues { get; init; }

    public uint? PollUs { get; init; }

    /// <summary>The script to run, or null for none ("no" and "" mean none, as in QEMU).</summary>
    internal static string? ScriptToRun(string? script) => script is null or "" or "no" ? null : script;

    internal override string? CombinationError()
    {
        bool anyOpenOption = IfName is not null || Script is not null || DownScript is not null || VnetHdr is not null || Queues is not null;
        if (Fd is not null && (anyOpenOption || Helper is not null || Fds is not null))
            return "ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, and fds= are invalid with fd=";
        if (Fds is not null && (anyOpenOption || Helper is not null))
            return "ifname=, script=, downscript=, vnet_hdr=, helper=, queues=, and fd= are invalid with fds=";
        if (Helper is not null && anyOpenOption)
            return "ifname=, script=, downscript=, vnet_hdr=, queues=, and fds= are invalid with helper=";
        if (Br is not null && Helper is null)
            return "br= is only valid with helper=";
        if (Queues is 0 or > MaxQueues)
            return $"queues= must be from 1 to {MaxQueues}";
        if (IfName is { Length: > 15 })
            return $"ifname '{IfName}' is longer than 15 characters";
        return null;
    }

    /// <summary>Why an option that asks for vhost-net is refused, or null when none does.</summary>
    internal string? VhostRefusal()
    {
        const string why = "vhost-net serves a guest NIC's queues from the kernel, and an ExportPS tap has no guest NIC";
        if (Vhost == true)
            return $"vhost=on is not supported: {why}";
        if (VhostForce == true)
            return $"vhostforce=on is not supported: {why}";
        if (VhostFd is not null || VhostFds is not null)
            return $"vhostfd= and vhostfds= are not supported: {why}";
        if (PollUs is > 0)
            return $"poll-us= is not supported: it tunes vhost-net's busy polling ({why})";
        return null;
    }

    public override string Summary() => NetdevSummary.Join(
        ("ifname", IfName), ("fd", Fd), ("fds", Fds), ("script", Script), ("downscript", DownScript), ("br", Br), ("helper", Helper),
        ("sndbuf", SndBuf?.ToString()), ("vnet_hdr", NetdevSummary.OnOff(VnetHdr)), ("vhost", NetdevSummary.OnOff(Vhost)),
        ("vhostforce", NetdevSummary.OnOff(VhostForce)), ("queues", Queues?.ToString()), ("poll-us", PollUs?.ToString()));
}
