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

        // Fills the backlog, then proves it full: under load the kernel may still answer a request or two that came in
        // together, so only a probe whose connect stays in progress shows that requests are dropped from now on.
        StartConnect();
        for (int probes = 0; StartConnect().Poll(TimeSpan.FromMilliseconds(200), SelectMode.SelectWrite); probes++)
        {
            if (probes == 20)
                throw new InvalidOperationException("the listener's backlog did not fill");
        }
    }

    /// <summary>A connection request that the listener keeps (closed with it), in progress or made.</summary>
    private Socket StartConnect()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
        _sockets.Add(socket);
        try
        {
            socket.Connect(_listener.LocalEndPoint!);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.WouldBlock)
        {
            // In progress.
        }

        return socket;
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
