using System.Net;
using System.Net.Sockets;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// The backend of dgram netdevs and of socket udp=/mcast=: one datagram is one frame. A reader thread receives into a
/// buffer one byte over the frame limit, so an oversize datagram is told from one at the limit, counted and dropped;
/// a <see cref="QueuedFrameWriter"/> sends delivered frames to the remote address (or, for a connected socket, to its
/// peer). A remote that is not there loses the frame as a datagram network would. l2tpv3 netdevs are this backend
/// with an <see cref="IDatagramEncapsulation"/> that wraps each frame in a header and checks it on the way in.
/// </summary>
internal sealed class DatagramBackend : INetWorkerBackend
{
    private readonly Socket _socket;
    private readonly Netdev _owner;
    private readonly SocketAddress? _remote;
    private readonly string? _boundPath;
    private readonly IDatagramEncapsulation? _encapsulation;
    private readonly byte[] _sendBuffer;
    private readonly QueuedFrameWriter _writer;
    private readonly Thread _reader;
    private volatile bool _stopped;

    /// <param name="type">"dgram", "socket" or "l2tpv3".</param>
    /// <param name="owner">The netdev frames from the far end go to.</param>
    /// <param name="socket">The bound datagram socket.</param>
    /// <param name="remote">Where frames are sent; null for a connected socket.</param>
    /// <param name="boundPath">The unix socket file this backend bound, removed when it stops.</param>
    /// <param name="encapsulation">What goes around each frame on the wire; null: nothing.</param>
    public DatagramBackend(string type, Netdev owner, Socket socket, EndPoint? remote, string? boundPath = null, IDatagramEncapsulation? encapsulation = null)
    {
        Type = type;
        _owner = owner;
        _socket = socket;
        _remote = remote?.Serialize();
        _boundPath = boundPath;
        _encapsulation = encapsulation;
        _sendBuffer = encapsulation is null ? [] : new byte[encapsulation.MaxOverhead + NetFrameLimits.MaxFrameLength];
        _writer = new QueuedFrameWriter($"netdev {owner.Id} tx", WriteFrame);
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"netdev {owner.Id} rx" };
    }

    public string Type { get; }

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

    /// <summary>
    /// A stream reader that feeds this backend waits while its queue is full. This backend's own reader never waits:
    /// a datagram it did not take would be lost in the kernel, uncounted, so it passes it on and a full queue counts it.
    /// </summary>
    public bool CanReceive => _writer.HasRoom;

    /// <summary>Datagrams carry no link state (QEMU's dgram and socket netdevs send none either).</summary>
    public void LinkStatusChanged(bool up)
    {
    }

    private void WriteFrame(ReadOnlySpan<byte> frame)
    {
        if (_encapsulation is not null)
            frame = _sendBuffer.AsSpan(0, _encapsulation.Wrap(frame, _sendBuffer));
        try
        {
            if (_remote is null)
                _socket.Send(frame);
            else
                _socket.SendTo(frame, SocketFlags.None, _remote);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // No receiver at the remote address (or stopping): the datagram is lost, as on a wire.
        }
    }

    private void ReadLoop()
    {
        var buffer = new byte[(_encapsulation?.MaxOverhead ?? 0) + DatagramFraming.ReceiveBufferLength(NetFrameLimits.MaxFrameLength)];
        while (!_stopped)
        {
            int received;
            try
            {
                received = _socket.Receive(buffer);
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.MessageSize)
            {
                _owner.RecordSendDrop(NetDropReason.Oversize);
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                if (_stopped)
                    return;
                continue;
            }

            var frame = buffer.AsSpan(0, received);
            if (_encapsulation is not null)
            {
                if (!_encapsulation.TryUnwrap(frame, out var inner))
                {
                    _owner.RecordSendDrop(NetDropReason.Malformed);
                    continue;
                }

                frame = frame[inner];
            }

            _owner.SendReceived(frame);
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _socket.Dispose();
        if (_reader.IsAlive)
            _reader.Join();
        _writer.Dispose();
        if (_boundPath is not null)
            File.Delete(_boundPath);
    }
}
