using System.Runtime.CompilerServices;

namespace ExportPS.Engine.Transport;

/// <summary>
/// The byte stream one connection runs over (NBD, QMP, vhost-user). Protocols only use this, so TLS becomes a wrapper
/// that replaces the plain transport mid-handshake (<see cref="TlsTransport"/>), and a unix socket that also carries file
/// descriptors is a variant of the plain one (<see cref="UnixSocketTransport"/>).
/// </summary>
internal abstract class StreamTransport : IDisposable
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

    /// <summary>Fills <paramref name="buffer"/>; a peer that closes before it is full is an <see cref="EndOfStreamException"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask ReceiveExactlyAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (!buffer.IsEmpty)
        {
            int received = await ReceiveAsync(buffer, cancellationToken);
            if (received == 0)
            {
                throw new EndOfStreamException("the client closed the connection in the middle of a message");
            }

            buffer = buffer[received..];
        }
    }
}
