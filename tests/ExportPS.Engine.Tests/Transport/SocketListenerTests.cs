using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tests.Block;
using ExportPS.Engine.Transport;
using Xunit;

namespace ExportPS.Engine.Tests.Transport;

/// <summary>Listeners on inet, unix and fd addresses, and the one rule for what may be at a unix socket's path.</summary>
public sealed class SocketListenerTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _dir = new();

    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("::1")]
    [InlineData("[::1]")]
    public async Task An_inet_listener_on_port_zero_reports_the_port_it_got(string host)
    {
        using var listener = SocketListener.Bind(SocketAddressOptions.Inet(host, 0));

        Assert.InRange(listener.Port, 1, IPEndPoint.MaxPort);
        Assert.False(listener.IsUnix);
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Parse(host.Trim('[', ']')), listener.Port)).WaitAsync(Bound);
        using var accepted = await listener.AcceptAsync(CancellationToken.None).AsTask().WaitAsync(Bound);
        Assert.True(accepted.NoDelay);
    }

    [Fact]
    public async Task A_unix_listener_accepts_and_removes_its_socket_file_when_closed()
    {
        string path = At("a.sock");
        using (var listener = SocketListener.Bind(SocketAddressOptions.Unix(path)))
        {
            Assert.True(listener.IsUnix);
            Assert.Equal(0, listener.Port);
            await AssertAcceptsAsync(listener, path);
        }

        Assert.False(Path.Exists(path));
    }

    [Fact]
    public async Task A_stale_socket_is_replaced()
    {
        string path = StaleSocket("stale.sock");

        using var listener = SocketListener.BindUnix(path);

        await AssertAcceptsAsync(listener, path);
    }

    [Fact]
    public async Task A_socket_another_server_listens_on_is_refused_and_keeps_working()
    {
        string path = At("live.sock");
        using var live = SocketListener.BindUnix(path);

        var refused = Assert.Throws<IOException>(() => SocketListener.BindUnix(path));

        Assert.Contains(path, refused.Message);
        Assert.Contains("listening", refused.Message);

        // The check was one connection that closed at once, as a port probe does.
        using (var probe = await live.AcceptAsync(CancellationToken.None).AsTask().WaitAsync(Bound))
        {
            Assert.Equal(0, await probe.ReceiveAsync(new byte[1].AsMemory()).AsTask().WaitAsync(Bound));
        }

        await AssertAcceptsAsync(live, path);
    }

    [Fact]
    public void A_regular_file_at_the_path_is_refused_and_left_intact()
    {
        string path = At("disk.img");
        File.WriteAllBytes(path, [1, 2, 3, 4]);

        var refused = Assert.Throws<IOException>(() => SocketListener.BindUnix(path));

        Assert.Contains(path, refused.Message);
        Assert.Contains("not a socket", refused.Message);
        Assert.Equal([1, 2, 3, 4], File.ReadAllBytes(path));
    }

    [Fact]
    public void A_symlink_to_a_stale_socket_is_refused_and_neither_is_removed()
    {
        string target = StaleSocket("target.sock");
        string link = At("link.sock");
        File.CreateSymbolicLink(link, target);

        var refused = Assert.Throws<IOException>(() => SocketListener.BindUnix(link));

        Assert.Contains(link, refused.Message);
        Assert.True(Path.Exists(target));
        Assert.NotNull(new FileInfo(link).LinkTarget);
    }

    [Fact]
    public void A_path_too_long_for_a_unix_socket_is_refused_by_name()
    {
        string path = At(new string('x', 120));

        var refused = Assert.Throws<IOException>(() => SocketListener.BindUnix(path));

        Assert.Contains(path, refused.Message);
    }

    [Fact]
    public void A_missing_directory_fails_with_the_system_reason()
    {
        string path = At(Path.Combine("missing", "a.sock"));

        var refused = Assert.Throws<IOException>(() => SocketListener.BindUnix(path));

        Assert.Contains("No such file or directory", refused.Message);
    }

    [Fact]
    public void Closing_leaves_alone_a_file_that_replaced_the_socket()
    {
        string path = At("replaced.sock");
        var listener = SocketListener.BindUnix(path);
        File.Delete(path);
        File.WriteAllBytes(path, [7]);

        listener.Dispose();

        Assert.Equal([7], File.ReadAllBytes(path));
    }

    [Fact]
    public async Task A_listening_socket_passed_as_a_descriptor_is_served_and_its_file_left_to_its_creator()
    {
        string path = At("passed.sock");
        using var original = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        original.Bind(new UnixDomainSocketEndPoint(path));
        original.Listen();
        int fd = Fds.Dup(original.SafeHandle);
        using (var adopted = SocketListener.Adopt(fd))
        {
            Assert.True(adopted.IsUnix);
            await AssertAcceptsAsync(adopted, path);
        }

        Assert.False(Fds.IsOpen(fd));
        Assert.True(Path.Exists(path));
    }

    [Fact]
    public async Task A_tcp_socket_passed_as_a_descriptor_reports_its_port()
    {
        using var original = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        original.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        original.Listen();
        using var adopted = SocketListener.Adopt(Fds.Dup(original.SafeHandle));

        Assert.Equal(((IPEndPoint)original.LocalEndPoint!).Port, adopted.Port);
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(IPAddress.Loopback, adopted.Port).WaitAsync(Bound);
        using var accepted = await adopted.AcceptAsync(CancellationToken.None).AsTask().WaitAsync(Bound);
    }

    [Fact]
    public void A_descriptor_that_is_not_listening_is_refused_and_closed()
    {
        var (left, right) = Fds.SocketPair();
        using (left)
        using (right)
        {
            int fd = Fds.Dup(left.SafeHandle);

            var refused = Assert.Throws<IOException>(() => SocketListener.Adopt(fd));

            Assert.Contains($"{fd}", refused.Message);
            Assert.False(Fds.IsOpen(fd));
        }
    }

    [Fact]
    public void A_descriptor_that_is_not_a_socket_is_refused_and_closed()
    {
        using var memory = Fds.MemFd(4096);
        int fd = Fds.Dup(memory);

        var refused = Assert.Throws<IOException>(() => SocketListener.Adopt(fd));

        Assert.Contains($"{fd}", refused.Message);
        Assert.False(Fds.IsOpen(fd));
    }

    public void Dispose() => _dir.Dispose();

    private static async Task AssertAcceptsAsync(SocketListener listener, string path)
    {
        using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await client.ConnectAsync(new UnixDomainSocketEndPoint(path)).WaitAsync(Bound);
        using var accepted = await listener.AcceptAsync(CancellationToken.None).AsTask().WaitAsync(Bound);
        client.Send([42]);
        var one = new byte[1];
        Assert.Equal(1, await accepted.ReceiveAsync(one.AsMemory()).AsTask().WaitAsync(Bound));
        Assert.Equal(42, one[0]);
    }

    /// <summary>
    /// A socket file nobody listens on, as a crashed server leaves behind: bound under another name, renamed, then
    /// closed (.NET removes only the name it bound).
    /// </summary>
    private string StaleSocket(string name)
    {
        string path = At(name);
        string bound = path + ".tmp";
        using (var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            socket.Bind(new UnixDomainSocketEndPoint(bound));
            File.Move(bound, path);
        }

        Assert.True(Path.Exists(path));
        return path;
    }

    private string At(string name) => Path.Combine(_dir.Path, name);
}
