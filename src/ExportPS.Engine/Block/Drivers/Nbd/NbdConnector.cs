using System.Net.Sockets;
using ExportPS.Engine.Model;
using ExportPS.Engine.Transport;

namespace ExportPS.Engine.Block.Drivers.Nbd;

/// <summary>One connection attempt: the socket (inet or unix), then the handshake, bounded in time as a whole.</summary>
internal static class NbdConnector
{
    /// <summary>A server that accepts but never finishes the handshake does not hold the node up for longer.</summary>
    private static readonly TimeSpan AttemptTimeout = TimeSpan.FromSeconds(10);

    public static async Task<NbdClientSession> ConnectAsync(NbdClientSettings settings, CancellationToken cancellationToken)
    {
        bool unix = settings.Server.Kind == SocketAddressKind.Unix;
        var socket = unix ? new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified) : new Socket(SocketType.Stream, ProtocolType.Tcp);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(AttemptTimeout);
        StreamTransport? transport = null;
        try
        {
            await socket.ConnectAsync(settings.Server.ToEndPoint(), timeout.Token).ConfigureAwait(false);
            if (!unix)
            {
                // Request headers and small writes go out at once rather than waiting for the previous reply's ACK.
                socket.NoDelay = true;
            }

            transport = new SocketTransport(socket);
            var handshake = new NbdClientHandshake(settings, timeout.Token);
            var export = await handshake.RunAsync(transport).ConfigureAwait(false);
            return new NbdClientSession(handshake.Transport, export);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            transport?.Dispose();
            socket.Dispose();
            throw new TimeoutException($"no answer within {AttemptTimeout.TotalSeconds} s", e);
        }
        catch
        {
            transport?.Dispose();
            socket.Dispose();
            throw;
        }
    }
}
