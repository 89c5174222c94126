using System.Net;
using System.Net.Sockets;

namespace ExportPS.Engine.Tests.Net;

/// <summary>
/// A loopback TCP port whose listener never accepts and whose backlog is full, so the kernel drops every further
/// connection request: a connect to it neither succeeds nor fails for as long as the test lasts, as to a host that
/// does not answer, until <see cref="Answer"/>.
/// </summary>
internal sealed class BlackHoleListener : IDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly List<Socket> _sockets = [];
    private Task _answering = Task.CompletedTask;

    public BlackHoleListener()
    {
        _listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _listener.Listen(0);
        Port = ((IPEndPoint)_listener.LocalEndPoint!).Port;
        for (int i = 0; i < 4; i++)
        {
            var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
            _sockets.Add(filler);
            try
            {
                filler.Connect(_listener.LocalEndPoint!);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
            {
                // In progress: it holds a place in the backlog, or waits for one as the netdev's will.
            }
        }
    }

    public int Port { get; }

    /// <summary>From now on accepts every connection, so the ones waiting complete once their SYN is sent again.</summary>
    public void Answer() => _answering = Task.Run(() =>
    {
        try
        {
            while (true)
                _sockets.Add(_listener.Accept());
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed by Dispose.
        }
    });

    public void Dispose()
    {
        _listener.Dispose();
        _answering.Wait(TimeSpan.FromSeconds(10));
        foreach (var socket in _sockets)
            socket.Dispose();
    }
}
