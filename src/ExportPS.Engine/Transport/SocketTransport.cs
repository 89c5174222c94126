using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace ExportPS.Engine.Transport;

/// <summary>A plain TCP or unix socket. Socket's Memory-based calls reuse one cached awaitable each: no allocation per call.</summary>
internal class SocketTransport(Socket socket) : StreamTransport
{
    protected Socket Socket => socket;

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    public override void SpinUntilReadable(long deadline)
    {
        while (socket.Available == 0 && Stopwatch.GetTimestamp() < deadline)
        {
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public override async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
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
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer or by us: nothing left to interrupt.
        }

        socket.Dispose();
    }

    public override void Dispose()
    {
        socket.Dispose();
    }
}
