using System.Buffers;
using System.Net.Sockets;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// One connected stream socket of a socket or stream netdev: a reader thread turns length-prefixed frames into
/// <see cref="Netdev.Send"/> calls, a <see cref="QueuedFrameWriter"/> writes delivered frames. A length of 0 or over
/// <see cref="NetFrameLimits.MaxFrameLength"/> loses the framing, so it is counted and the connection dropped; bytes
/// of a frame cut off by the close are counted as malformed. Buffers are allocated once per connection. The reader
/// waits while its netdev's peer has no room (<see cref="Netdev.WaitUntilCanSend"/>), so the far end is slowed by TCP
/// instead of losing frames; the writer gathers the frames waiting into one send.
/// </summary>
internal sealed class StreamConnection : IDisposable
{
    private const int MaxEncodedLength = StreamFraming.HeaderLength + NetFrameLimits.MaxFrameLength;

    private readonly Socket _socket;
    private readonly Netdev _owner;
    private readonly QueuedFrameWriter _writer;
    /// <summary>Frames encoded for the next send; room for at least one frame of the largest size.</summary>
    private readonly byte[] _writeBuffer = new byte[2 * MaxEncodedLength];
    private int _writeLength;
    private readonly Func<bool> _isClosed;
    private readonly Thread _reader;
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _disposed;

    public StreamConnection(Socket socket, Netdev owner)
    {
        _socket = socket;
        _owner = owner;
        _writer = new QueuedFrameWriter($"netdev {owner.Id} tx", WriteFrame, Flush);
        _isClosed = () => Volatile.Read(ref _disposed) != 0;
        _reader = new Thread(ReadLoop) { IsBackground = true, Name = $"netdev {owner.Id} rx" };
    }

    /// <summary>Completes once the connection is closed (by the far end, bad input, or Dispose).</summary>
    public Task Closed => _closed.Task;

    /// <summary>Why the connection ended, once <see cref="Closed"/> completed (for the netdev's log).</summary>
    public string CloseReason { get; private set; } = "closed by ExportPS";

    /// <summary>True when it ended because a length prefix lost the framing: the far end broke the protocol.</summary>
    public bool FramingLost { get; private set; }

    public void Start()
    {
        _writer.Start();
        _reader.Start();
    }

    public bool TryEnqueue(ReadOnlySpan<byte> frame) => _writer.TryEnqueue(frame);

    public bool HasRoom => _writer.HasRoom;

    private void WriteFrame(ReadOnlySpan<byte> frame)
    {
        if (_writeBuffer.Length - _writeLength < StreamFraming.HeaderLength + frame.Length)
            Flush();
        _writeLength += StreamFraming.Encode(frame, _writeBuffer.AsSpan(_writeLength));
    }

    private void Flush()
    {
        int length = _writeLength;
        _writeLength = 0;
        try
        {
            for (int sent = 0; sent < length;)
                sent += _socket.Send(_writeBuffer.AsSpan(sent, length - sent));
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The far end went away; the reader sees the close and ends the connection.
        }
    }

    private void ReadLoop()
    {
        // Room for one whole encoded frame after any partial one left over, so a frame never needs two buffers.
        var buffer = new byte[2 * MaxEncodedLength];
        int start = 0, end = 0;
        try
        {
            while (true)
            {
                int read = _socket.Receive(buffer.AsSpan(end));
                if (read == 0)
                {
                    if (end > start)
                        _owner.RecordSendDrop(NetDropReason.Malformed);
                    CloseReason = end > start ? "the peer closed the connection in the middle of a frame" : "the peer closed the connection";
                    return;
                }

                end += read;
                var pending = new ReadOnlySequence<byte>(buffer, start, end - start);
                StreamFrameStatus status;
                while ((status = StreamFraming.TryReadFrame(ref pending, NetFrameLimits.MaxFrameLength, out var frame)) == StreamFrameStatus.Frame)
                {
                    _owner.WaitUntilCanSend(_isClosed);
                    _owner.Send(frame.FirstSpan);
                }

                if (status != StreamFrameStatus.NeedMoreData)
                {
                    _owner.RecordSendDrop(StreamFraming.DropReason(status));
                    FramingLost = true;
                    CloseReason = status == StreamFrameStatus.EmptyFrame
                        ? "a length prefix of 0 lost the framing"
                        : $"a length prefix over {NetFrameLimits.MaxFrameLength} lost the framing";
                    return;
                }

                start = end - (int)pending.Length;
                if (start == end)
                {
                    start = end = 0;
                }
                else if (buffer.Length - end < MaxEncodedLength)
                {
                    buffer.AsSpan(start, end - start).CopyTo(buffer);
                    end -= start;
                    start = 0;
                }
            }
        }
        catch (SocketException e) when (Volatile.Read(ref _disposed) == 0)
        {
            CloseReason = e.Message; // reset by the far end
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed by Dispose.
        }
        finally
        {
            Close();
        }
    }

    private void Close()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        _socket.Dispose();
        _writer.Dispose();
        _closed.TrySetResult();
    }

    public void Dispose()
    {
        Close();
        if (_reader.IsAlive && Thread.CurrentThread != _reader)
            _reader.Join();
    }
}
