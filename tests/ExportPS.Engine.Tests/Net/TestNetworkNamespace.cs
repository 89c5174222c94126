namespace ExportPS.Engine.Tests.Net;

/// <summary>
/// A private network namespace of one test (a unique name, deleted with whatever is in it on Dispose), with the ip(8)
/// calls the tap tests make; <see cref="Subnet"/> is an IPv4 /24 of its own, which nothing outside it sees.
/// </summary>
internal sealed class TestNetworkNamespace : IDisposable
{
    public const string IpCommand = "/usr/sbin/ip";

    public TestNetworkNamespace()
    {
        Name = "eps" + Guid.NewGuid().ToString("N")[..12];
        Subnet = $"10.{Random.Shared.Next(1, 255)}.{Random.Shared.Next(1, 255)}";
        Ip("netns", "add", Name);
        Ip("-n", Name, "link", "set", "lo", "up");
    }

    public string Name { get; }

    /// <summary>The first three octets: Subnet + ".1" is the namespace's address, others are free for guests.</summary>
    public string Subnet { get; }

    /// <summary>/etc/netns/NAME: files there replace those of /etc under `ip netns exec` (QEMU's bridge.conf, say).</summary>
    public string EtcDirectory => Path.Combine("/etc/netns", Name);

    /// <summary>An interface name of 15 characters at most that no other test uses.</summary>
    public static string UniqueInterfaceName() => "ept" + Guid.NewGuid().ToString("N")[..11];

    public static PeerProcess.Result Ip(params string[] arguments) =>
        PeerProcess.Run(IpCommand, arguments, TimeSpan.FromSeconds(20)).Check($"ip {string.Join(' ', arguments)}");

    /// <summary>Runs a command inside the namespace, without checking how it ended.</summary>
    public PeerProcess.Result Exec(params string[] command) =>
        PeerProcess.Run(IpCommand, ["netns", "exec", Name, .. command], TimeSpan.FromSeconds(30));

    /// <summary>Moves a host interface in.</summary>
    public void MoveIn(string interfaceName) => Ip("link", "set", interfaceName, "netns", Name);

    /// <summary>Gives an interface in the namespace the address Subnet.<paramref name="host"/>/24 and brings it up.</summary>
    public void AddressUp(string interfaceName, int host = 1)
    {
        Ip("-n", Name, "addr", "add", $"{Subnet}.{host}/24", "dev", interfaceName);
        Ip("-n", Name, "link", "set", interfaceName, "up");
    }

    public void Dispose()
    {
        PeerProcess.Run(IpCommand, ["netns", "del", Name], TimeSpan.FromSeconds(20));
        if (Directory.Exists(EtcDirectory))
            Directory.Delete(EtcDirectory, recursive: true);
    }
}
