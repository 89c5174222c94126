using System.Net;
using System.Net.Sockets;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// The backend of l2tpv3 netdevs: one datagram (raw IP protocol 115, or UDP) is one L2TPv3 data packet carrying one
/// frame. A reader thread checks each packet's header against this end's session and cookie and passes the frame on;
/// a packet of another session or cookie, or one without a frame, is counted as malformed and dropped. A
/// <see cref="QueuedFrameWriter"/> puts the header before each delivered frame and sends it to the far end.
/// </summary>
internal sealed class L2tpv3Backend : INetWorkerBackend
{
    public const string TypeName = "l2tpv3";

    /// <summary>The longest IPv4 header a raw IPv4 socket can hand over before the payload.</summary>
    private const int MaxIPv4HeaderLength = 60;

    private readonly Socket _socket;
    private readonly Netdev _owner;
    private readonly SocketAddress _remote;
    private readonly L2tpv3Header _header;
    private readonly bool _receivesIPv4Header;
    private readonly QueuedFrameWriter _writer;
    private readonly byte[] _sendBuffer;
    private readonly Thread _reader;
    private uint _sequence;
    private volatile bool _stopped;

    /// <param name="owner">The netdev frames from the far end go to.</param>
    /// <param name="socket">The bound socket: raw protocol 115 or UDP.</param>
    /// <param name="remote">The far end of the tunnel.</param>
    /// <param name="header">The header this end writes and expects.</param>
    public L2tpv3Backend(Netdev owner, Socket socket, EndPoint remote, L2tpv3Header header)
    {
        _owner = owner;
        _socket = socket;
        _remote = remote.Serialize();
        _header = header;
        _receivesIPv4Header = socket.SocketType == SocketType.Raw && socket.AddressFamily == AddressFamily.InterNetwork;
        _sendBuffer = new byte[header.Length + NetFrameLimits.MaxFrameLength];
        _writer = new QueuedFrameWriter($"netdev {owner.Id} tx", WriteFrame);
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"netdev {owner.Id} rx" };
    }

    public string Type => TypeName;

    /// <summary>A tunnel end has no connection: the far end is taken to be there, as on any datagram wire.</summary>
    public bool Connected => true;

    public void Start()
    {
        _writer.Start();
        _reader.Start();
    }

    public bool TryReceive(ReadOnlySpan<byte> frame, out NetDropReason reason)
    {
        reason = NetDropReason.QueueFull;
        return _writer.TryEnqueue(frame);
    }

    /// <summary>L2TPv3 data packets carry no link state (QEMU's l2tpv3 netdev sends none either).</summary>
    public void LinkStatusChanged(bool up)
    {
    }

    private void WriteFrame(ReadOnlySpan<byte> frame)
    {
        _header.Write(_sendBuffer, ++_sequence);
        frame.CopyTo(_sendBuffer.AsSpan(_header.Length));
        try
        {
            _socket.SendTo(_sendBuffer.AsSpan(0, _header.Length + frame.Length), SocketFlags.None, _remote);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Nobody at the far end (or stopping): the packet is lost, as on a wire.
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[MaxIPv4HeaderLength + _header.Length + DatagramFraming.ReceiveBufferLength(NetFrameLimits.MaxFrameLength)];
        while (!_stopped)
        {
            int received;
            try
            {
                received = _socket.Receive(buffer);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_stopped)
                    return;
                continue;
            }

            var packet = buffer.AsSpan(0, received);
            if (_receivesIPv4Header)
            {
                int ipHeader = L2tpv3Header.IPv4HeaderLength(packet);
                packet = ipHeader < 0 ? default : packet[ipHeader..];
            }

            if (_header.Check(packet) != L2tpv3PacketStatus.Frame)
            {
                _owner.RecordSendDrop(NetDropReason.Malformed);
                continue;
            }

            var frame = packet[_header.Length..];
            if (DatagramFraming.IsFrame(frame.Length, NetFrameLimits.MaxFrameLength, out var reason))
                _owner.Send(frame);
            else
                _owner.RecordSendDrop(reason);
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _socket.Dispose();
        if (_reader.IsAlive)
            _reader.Join();
        _writer.Dispose();
    }
}
