using System.Net;
using System.Net.Sockets;
using ExportPS.TestSupport;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>
/// QEMU 7.2 (qemu-system-x86_64 -machine none) relaying between one netdev of its own, with id q, and a socket udp=
/// netdev on hub 0 that the test drives: how the tests put ExportPS's netdevs against QEMU's.
/// </summary>
internal sealed class QemuNetdevRelay : IDisposable
{
    private readonly PeerProcess.Background _qemu;

    /// <param name="netdev">QEMU's netdev under test, as its -netdev argument with id=q.</param>
    public QemuNetdevRelay(string netdev)
    {
        Far = NetTestPorts.BoundUdp();
        int socketPort = NetTestPorts.FreeUdp();
        _qemu = new PeerProcess.Background(Peer.QemuSystem,
        [
            "-machine", "none", "-nodefaults", "-display", "none",
            "-netdev", netdev,
            "-netdev", $"socket,id=s,udp={Far.LocalEndPoint},localaddr=127.0.0.1:{socketPort}",
            "-netdev", "hubport,id=h0,hubid=0,netdev=q",
            "-netdev", "hubport,id=h1,hubid=0,netdev=s",
        ]);
        ToQemu = new IPEndPoint(IPAddress.Loopback, socketPort);
    }

    /// <summary>The test's end of QEMU's socket netdev: frames QEMU's netdev q received come out here.</summary>
    public Socket Far { get; }

    /// <summary>Where the test sends frames for QEMU's netdev q to put on its wire.</summary>
    public IPEndPoint ToQemu { get; }

    /// <summary>
    /// Waits until a frame crosses from QEMU's netdev q to <paramref name="ourFar"/> (QEMU's netdevs exist once a frame
    /// gets through; frames sent before that are lost on the way), then checks four frames each way: 1514 bytes from
    /// <paramref name="ourFar"/> (sent to <paramref name="toUs"/>) to QEMU, 100 bytes from QEMU back.
    /// </summary>
    public void ExchangeFrames(Socket ourFar, EndPoint toUs, Func<int, byte, byte[]> frame, TimeSpan timeout)
    {
        var first = frame(60, 1);
        _qemu.WaitUntil(() => SendAndReceive(Far, ToQemu, first, ourFar) is { } got && got.SequenceEqual(first), "a frame crossed from QEMU", timeout);
        for (byte seed = 2; seed < 6; seed++)
        {
            Assert.Equal(frame(1514, seed), SendAndReceive(ourFar, toUs, frame(1514, seed), Far));
            Assert.Equal(frame(100, seed), SendAndReceive(Far, ToQemu, frame(100, seed), ourFar));
        }
    }

    /// <summary>Sends <paramref name="frame"/> and returns the next datagram <paramref name="receiver"/> gets within a second, or null.</summary>
    public static byte[]? SendAndReceive(Socket from, EndPoint to, byte[] frame, Socket receiver)
    {
        from.SendTo(frame, to);
        int previousTimeout = receiver.ReceiveTimeout;
        receiver.ReceiveTimeout = 1000;
        try
        {
            var buffer = new byte[70_000];
            return buffer[..receiver.Receive(buffer)];
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return null;
        }
        finally
        {
            receiver.ReceiveTimeout = previousTimeout;
        }
    }

    public void Dispose()
    {
        _qemu.Dispose();
        Far.Dispose();
    }
}
