using System.Net.Sockets;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using Xunit;

namespace ExportPS.Engine.Tests.Nbd;

/// <summary>nbd-server-start's address checks: refused cleanly, and never at the cost of a file that is not a socket.</summary>
public sealed class NbdServerAddressTests : IDisposable
{
    private readonly ExportEngine _engine = new();
    private readonly TempDirectory _directory = new("exportps-addr-");

    [Theory]
    [InlineData(-1)]
    [InlineData(65536)]
    [InlineData(70000)]
    public void A_port_out_of_range_is_an_invalid_argument_and_nothing_starts(int port)
    {
        var refused = Assert.Throws<EngineException>(() =>
            _engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Inet("127.0.0.1", port) }));

        Assert.Equal(ErrorIds.InvalidArgument, refused.ErrorId);
        Assert.Equal(EngineErrorCategory.InvalidArgument, refused.Category);
        Assert.Contains(port.ToString(), refused.Message);
        Assert.False(_engine.GetNbdServer().Running);
    }

    [Fact]
    public void A_regular_file_at_the_socket_path_is_left_intact_and_the_start_fails()
    {
        string path = _directory.File("disk.img");
        byte[] content = [1, 2, 3, 4];
        File.WriteAllBytes(path, content);

        var refused = Assert.Throws<EngineException>(() => _engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(path) }));

        Assert.Equal(ErrorIds.NbdServerListenFailed, refused.ErrorId);
        Assert.Equal(content, File.ReadAllBytes(path));
        Assert.False(_engine.GetNbdServer().Running);
    }

    [Fact]
    public void A_stale_socket_from_an_earlier_run_is_replaced()
    {
        string path = _directory.File("nbd.sock");
        // .NET unlinks a bound socket's file when the socket is disposed; a process that exits leaves it behind, as a
        // crashed server does.
        PeerProcess.Run(Peer.Python3, ["-c", "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", path], TimeSpan.FromSeconds(10)).Check("python3 binding a unix socket");

        Assert.True(File.Exists(path));
        _engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(path) });

        AssertGreets(path);
    }

    [Fact]
    public void A_socket_another_server_listens_on_is_refused_by_path_and_keeps_its_server()
    {
        string path = _directory.File("nbd.sock");
        using var other = new ExportEngine();
        other.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(path) });

        var refused = Assert.Throws<EngineException>(() => _engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(path) }));

        Assert.Equal(ErrorIds.NbdServerListenFailed, refused.ErrorId);
        Assert.Contains($"'{path}' is a socket another server is listening on", refused.Message);
        Assert.False(_engine.GetNbdServer().Running);
        AssertGreets(path);
    }

    [Fact]
    public void Stopping_the_server_removes_its_socket_file()
    {
        string path = _directory.File("nbd.sock");
        _engine.StartNbdServer(new NbdServerOptions { Address = SocketAddressOptions.Unix(path) });

        _engine.StopNbdServer(TimeSpan.FromSeconds(1));

        Assert.False(Path.Exists(path));
    }

    private static void AssertGreets(string path)
    {
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        client.Connect(new UnixDomainSocketEndPoint(path));
        var greeting = new byte[8];
        Assert.Equal(8, client.Receive(greeting));
        Assert.Equal("NBDMAGIC"u8.ToArray(), greeting);
    }

    public void Dispose()
    {
        _engine.Dispose();
        _directory.Dispose();
    }
}
