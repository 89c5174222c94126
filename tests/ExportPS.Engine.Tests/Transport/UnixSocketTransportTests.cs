using System.Net.Sockets;
using System.Text;
using ExportPS.Engine.Transport;
using Microsoft.Win32.SafeHandles;
using Xunit;

namespace ExportPS.Engine.Tests.Transport;

/// <summary>File descriptors passed for real over a socket pair (SCM_RIGHTS) and used on the other side.</summary>
public sealed class UnixSocketTransportTests : IDisposable
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly UnixSocketTransport _sender;
    private readonly UnixSocketTransport _receiver;
    private readonly List<SafeFileHandle> _received = [];

    public UnixSocketTransportTests()
        : this(maxFdsPerReceive: 8)
    {
    }

    private UnixSocketTransportTests(int maxFdsPerReceive)
    {
        var (left, right) = Fds.SocketPair();
        _sender = new UnixSocketTransport(left, maxFdsPerReceive);
        _receiver = new UnixSocketTransport(right, maxFdsPerReceive);
    }

    [Fact]
    public async Task A_memfd_sent_with_a_message_is_the_same_memory_on_the_other_side()
    {
        using var memory = Fds.MemFd(4096);
        RandomAccess.Write(memory, "from the sender"u8, 0);

        await _sender.SendAsync("map"u8.ToArray(), [Fds.Number(memory)], CancellationToken.None);
        var buffer = new byte[16];
        int received = await _receiver.ReceiveAsync(buffer, _received, CancellationToken.None).AsTask().WaitAsync(Bound);

        Assert.Equal("map", Encoding.ASCII.GetString(buffer, 0, received));
        var passed = Assert.Single(_received);
        Assert.NotEqual(Fds.Number(memory), Fds.Number(passed));
        var seen = new byte[15];
        RandomAccess.Read(passed, seen, 0);
        Assert.Equal("from the sender", Encoding.ASCII.GetString(seen));

        RandomAccess.Write(passed, "from the receiver"u8, 100);
        var back = new byte[17];
        RandomAccess.Read(memory, back, 100);
        Assert.Equal("from the receiver", Encoding.ASCII.GetString(back));
    }

    [Fact]
    public async Task A_pipe_end_sent_with_a_message_carries_bytes_back_to_the_sender()
    {
        var (read, write) = Fds.Pipe();
        using (read)
        using (write)
        {
            await _sender.SendAsync(new byte[] { 1 }, [Fds.Number(write)], CancellationToken.None);
            write.Dispose(); // the receiver's copy must be what keeps the pipe open
            await _receiver.ReceiveAsync(new byte[1], _received, CancellationToken.None).AsTask().WaitAsync(Bound);

            using (var writer = new FileStream(Assert.Single(_received), FileAccess.Write, bufferSize: 0))
            {
                writer.Write("kick"u8);
            }

            using var reader = new FileStream(read, FileAccess.Read, bufferSize: 0);
            var kick = new byte[8];
            int count = await reader.ReadAsync(kick).AsTask().WaitAsync(Bound);
            Assert.Equal("kick", Encoding.ASCII.GetString(kick, 0, count));
        }
    }

    [Fact]
    public async Task Received_descriptors_are_close_on_exec()
    {
        using var memory = Fds.MemFd(4096);
        await _sender.SendAsync(new byte[] { 1 }, [Fds.Number(memory)], CancellationToken.None);
        await _receiver.ReceiveAsync(new byte[1], _received, CancellationToken.None).AsTask().WaitAsync(Bound);

        Assert.True(Fds.IsCloseOnExec(Assert.Single(_received)));
    }

    [Fact]
    public async Task A_message_without_control_data_brings_no_descriptors()
    {
        await _sender.SendAsync("plain"u8.ToArray(), [], CancellationToken.None);
        var buffer = new byte[16];
        int received = await _receiver.ReceiveAsync(buffer, _received, CancellationToken.None).AsTask().WaitAsync(Bound);

        Assert.Equal("plain", Encoding.ASCII.GetString(buffer, 0, received));
        Assert.Empty(_received);
    }

    [Fact]
    public async Task Descriptors_arrive_with_their_own_message_only()
    {
        using var first = Fds.MemFd(4096);
        using var second = Fds.MemFd(8192);
        await _sender.SendAsync("one"u8.ToArray(), [Fds.Number(first)], CancellationToken.None);
        await _sender.SendAsync("two"u8.ToArray(), [Fds.Number(second)], CancellationToken.None);

        var buffer = new byte[64];
        int received = await _receiver.ReceiveAsync(buffer, _received, CancellationToken.None).AsTask().WaitAsync(Bound);
        Assert.Equal("one", Encoding.ASCII.GetString(buffer, 0, received));
        Assert.Equal(4096, RandomAccess.GetLength(Assert.Single(_received)));

        received = await _receiver.ReceiveAsync(buffer, _received, CancellationToken.None).AsTask().WaitAsync(Bound);
        Assert.Equal("two", Encoding.ASCII.GetString(buffer, 0, received));
        Assert.Equal(8192, RandomAccess.GetLength(_received[1]));
    }

    [Theory]
    [InlineData(2, 4)] // the control buffer overflows: the kernel truncates it (MSG_CTRUNC)
    [InlineData(1, 2)] // the control buffer's padding fits one more than allowed
    [InlineData(0, 1)]
    public async Task More_descriptors_than_allowed_break_the_connection_and_none_is_kept_open(int allowed, int sent)
    {
        using var test = new UnixSocketTransportTests(allowed);
        var pipes = Enumerable.Range(0, sent).Select(_ => Fds.Pipe()).ToArray();
        try
        {
            await test._sender.SendAsync(new byte[] { 1 }, pipes.Select(p => Fds.Number(p.Write)).ToArray(), CancellationToken.None);
            foreach (var (_, write) in pipes)
            {
                write.Dispose();
            }

            var refused = await Assert.ThrowsAsync<IOException>(() =>
                test._receiver.ReceiveAsync(new byte[1], test._received, CancellationToken.None).AsTask().WaitAsync(Bound));
            Assert.Contains($"more than {allowed} file descriptors", refused.Message);
            Assert.Empty(test._received);

            // Every write end is closed everywhere: each read end sees the end of its pipe at once.
            foreach (var (read, _) in pipes)
            {
                using var reader = new FileStream(read, FileAccess.Read, bufferSize: 0);
                Assert.Equal(0, await reader.ReadAsync(new byte[1]).AsTask().WaitAsync(Bound));
            }
        }
        finally
        {
            foreach (var (read, write) in pipes)
            {
                read.Dispose();
                write.Dispose();
            }
        }
    }

    [Fact]
    public async Task A_peer_that_closes_ends_the_stream_and_refuses_later_sends()
    {
        _sender.Dispose();

        int received = await _receiver.ReceiveAsync(new byte[8], _received, CancellationToken.None).AsTask().WaitAsync(Bound);
        Assert.Equal(0, received);

        using var memory = Fds.MemFd(4096);
        var refused = Assert.Throws<SocketException>(() =>
            _receiver.SendAsync(new byte[] { 1 }, [Fds.Number(memory)], CancellationToken.None).AsTask().GetAwaiter().GetResult());
        Assert.Equal(SocketError.Shutdown, refused.SocketErrorCode);
    }

    [Fact]
    public async Task A_peer_that_closes_with_descriptors_unread_leaves_none_open()
    {
        var (read, write) = Fds.Pipe();
        using (read)
        {
            await _sender.SendAsync(new byte[] { 1 }, [Fds.Number(write)], CancellationToken.None);
            write.Dispose();
            _sender.Dispose();
            _receiver.Dispose();

            using var reader = new FileStream(read, FileAccess.Read, bufferSize: 0);
            Assert.Equal(0, await reader.ReadAsync(new byte[1]).AsTask().WaitAsync(Bound));
        }
    }

    [Fact]
    public async Task A_receive_waits_for_data_and_can_be_cancelled()
    {
        using var cancel = new CancellationTokenSource();
        var pending = _receiver.ReceiveAsync(new byte[8], _received, cancel.Token).AsTask();
        await Task.Delay(50);
        Assert.False(pending.IsCompleted);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.WaitAsync(Bound));
    }

    [Fact]
    public async Task A_receive_that_waits_gets_the_descriptors_sent_later()
    {
        var pending = _receiver.ReceiveAsync(new byte[8], _received, CancellationToken.None).AsTask();
        await Task.Delay(50);
        using var memory = Fds.MemFd(4096);
        await _sender.SendAsync("late"u8.ToArray(), [Fds.Number(memory)], CancellationToken.None);

        Assert.Equal(4, await pending.WaitAsync(Bound));
        Assert.Equal(4096, RandomAccess.GetLength(Assert.Single(_received)));
    }

    [Fact]
    public void Descriptors_need_at_least_one_byte_to_travel_with()
    {
        using var memory = Fds.MemFd(4096);
        Assert.Throws<ArgumentException>(() => _sender.SendAsync(ReadOnlyMemory<byte>.Empty, [Fds.Number(memory)], CancellationToken.None));
    }

    [Fact]
    public async Task A_long_message_with_descriptors_arrives_whole()
    {
        var message = new byte[1 << 20];
        Random.Shared.NextBytes(message);
        using var memory = Fds.MemFd(4096);

        var sending = Task.Run(() => _sender.SendAsync(message, [Fds.Number(memory)], CancellationToken.None).AsTask());
        var buffer = new byte[message.Length];
        int total = await _receiver.ReceiveAsync(buffer, _received, CancellationToken.None).AsTask().WaitAsync(Bound);
        await _receiver.ReceiveExactlyAsync(buffer.AsMemory(total), CancellationToken.None).AsTask().WaitAsync(Bound);
        await sending.WaitAsync(Bound);

        Assert.Equal(message, buffer);
        Assert.Single(_received);
    }

    [Fact]
    public void Only_unix_stream_sockets_carry_descriptors()
    {
        using var tcp = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        Assert.Throws<ArgumentException>(() => new UnixSocketTransport(tcp, 1));
    }

    public void Dispose()
    {
        foreach (var handle in _received)
        {
            handle.Dispose();
        }

        _sender.Dispose();
        _receiver.Dispose();
    }
}
