using System.Text;

namespace ExportPS.Engine.Tests.Net;

/// <summary>
/// A DNS server on 127.0.0.1:53 inside a test network namespace (python3's standard library, stopped by its id): it
/// answers an A query for <see cref="Name"/> with <see cref="Address"/>, any other query for that name with no records,
/// and refuses every other name.
/// </summary>
internal sealed class TestDnsServer : IDisposable
{
    public const string Name = "exportps-test.example";
    public const string Address = "192.0.2.77";

    /// <summary>Reads one question per datagram and answers it; prints "ready" once bound.</summary>
    private const string Script = """
        import socket, struct
        name, address = "NAME", socket.inet_aton("ADDRESS")
        server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        server.bind(("127.0.0.1", 53))
        print("ready", flush=True)
        while True:
            query, client = server.recvfrom(512)
            at, labels = 12, []
            while query[at]:
                labels.append(query[at + 1:at + 1 + query[at]].decode().lower())
                at += 1 + query[at]
            qtype = struct.unpack(">H", query[at + 1:at + 3])[0]
            question = query[12:at + 5]
            known = ".".join(labels) == name
            answer = struct.pack(">HHHIH", 0xC00C, 1, 1, 60, 4) + address if known and qtype == 1 else b""
            flags = 0x8180 | (0 if known else 5)
            server.sendto(query[:2] + struct.pack(">HHHHH", flags, 1, 1 if answer else 0, 0, 0) + question + answer, client)
        """;

    private readonly PeerProcess.Background _process;
    private volatile bool _ready;

    /// <summary>Starts the server and points the namespace's /etc/resolv.conf (as `ip netns exec` mounts it) at it.</summary>
    public TestDnsServer(TestNetworkNamespace network)
    {
        Directory.CreateDirectory(network.EtcDirectory);
        File.WriteAllText(Path.Combine(network.EtcDirectory, "resolv.conf"), "nameserver 127.0.0.1\n", Encoding.ASCII);
        string script = Script.Replace("NAME", Name).Replace("ADDRESS", Address);
        // `ip netns exec` execs the command, so the id is python's.
        _process = new PeerProcess.Background(TestNetworkNamespace.IpCommand, ["netns", "exec", network.Name, "/usr/bin/python3", "-c", script],
            line => _ready |= line == "ready");
        try
        {
            _process.WaitUntil(() => _ready, "the DNS server bound 127.0.0.1:53", TimeSpan.FromSeconds(15));
        }
        catch
        {
            _process.Dispose();
            throw;
        }
    }

    public void Dispose() => _process.Dispose();
}
