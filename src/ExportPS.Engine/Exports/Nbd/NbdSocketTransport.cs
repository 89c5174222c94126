using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// A plain TCP or unix socket, in one of two modes. On the event loop (Socket's Memory-based async calls, one cached
/// awaitable each: no allocation per call) many connections share a few threads. Blocking, the connection's own thread
/// sleeps in recv and every call completes before it returns: one system call per receive instead of a failed recv,
/// an epoll wake-up and a second recv, which is most of the latency of a client with one request in flight.
/// A blocking socket is never touched by Socket's async engine, so it stays a plain blocking descriptor; it can switch
/// to the event loop once (for a connection that moves onto an iothread), never back.
/// </summary>
internal sealed class NbdSocketTransport(Socket socket, bool blocking) : NbdTransport
{
    private bool _blocking = blocking;

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        _blocking ? new ValueTask<int>(socket.Receive(buffer.Span, SocketFlags.None)) : socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    public override ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (!_blocking)
        {
            return SendAllAsync(data, cancellationToken);
        }

        // Send on a blocking socket returns once the kernel holds all of it.
        socket.Send(data.Span, SocketFlags.None);
        return default;
    }

    public override void UseEventLoop() => _blocking = false;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendAllAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            int sent = await socket.SendAsync(data, SocketFlags.None, cancellationToken);
            data = data[sent..];
        }
    }

    public override void Abort()
    {
        try
        {
            // Also wakes a thread blocked in recv or send on this socket.
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer or by us: nothing left to interrupt.
        }

        socket.Dispose();
    }

    public override void Dispose() => socket.Dispose();
}
