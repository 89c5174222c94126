using System.Runtime.CompilerServices;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// The byte stream one NBD connection runs over. The handshake and the transmission phase only use this, so TLS
/// (NBD_OPT_STARTTLS) becomes a second implementation that wraps the first (an SslStream) and replaces it mid-handshake.
/// </summary>
internal abstract class NbdTransport : IDisposable
{
    /// <summary>Receives at least one byte; 0 means the peer closed its side.</summary>
    public abstract ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Sends all of <paramref name="data"/>. Callers serialize sends (one message at a time per connection).</summary>
    public abstract ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>
    /// Busy-waits until bytes can be received or the clock passes <paramref name="deadline"/> (a
    /// <see cref="System.Diagnostics.Stopwatch"/> timestamp). A transport that cannot tell (TLS may hold decrypted bytes
    /// the socket no longer shows) returns at once.
    /// </summary>
    public virtual void SpinUntilReadable(long deadline)
    {
    }

    /// <summary>Hard disconnect: pending and later operations fail at once.</summary>
    public abstract void Abort();

    public abstract void Dispose();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReceiveExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int received = await ReceiveAsync(buffer, cancellationToken);
            if (received == 0)
            {
                throw new NbdProtocolException("the client closed the connection in the middle of a message");
            }

            buffer = buffer[received..];
        }
    }
}
