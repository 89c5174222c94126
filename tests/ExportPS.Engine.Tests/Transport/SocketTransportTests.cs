using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ExportPS.Engine.Transport;
using Xunit;

namespace ExportPS.Engine.Tests.Transport;

/// <summary>The plain socket transport's busy wait, which a connection polls with for a lone client's next request.</summary>
public sealed class SocketTransportTests
{
    [Fact]
    public async Task SpinningEndsWhenBytesArrive()
    {
        var (server, client) = ConnectedPair();
        using (server)
        using (client)
        {
            using var transport = new SocketTransport(server);
            var spin = Task.Run(() => transport.SpinUntilReadable(Stopwatch.GetTimestamp() + (30 * Stopwatch.Frequency)));
            await Task.Delay(50);
            client.Send([42]);

            await spin.WaitAsync(TimeSpan.FromSeconds(20)); // throws TimeoutException if the spin ignored the byte
            Assert.Equal(1, server.Available);
        }
    }

    [Fact]
    public void SpinningEndsAtTheDeadlineWhenNothingComes()
    {
        var (server, client) = ConnectedPair();
        using (server)
        using (client)
        {
            using var transport = new SocketTransport(server);
            long deadline = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 50);
            transport.SpinUntilReadable(deadline);

            Assert.True(Stopwatch.GetTimestamp() >= deadline);
            Assert.Equal(0, server.Available);
        }
    }

    private static (Socket Server, Socket Client) ConnectedPair()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        return (listener.Accept(), client);
    }
}
