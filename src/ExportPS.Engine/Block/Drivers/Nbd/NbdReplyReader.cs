using ExportPS.Engine.Transport;

namespace ExportPS.Engine.Block.Drivers.Nbd;

/// <summary>
/// Buffered reads of the server's replies: headers and small payloads come out of one receive buffer, so a burst of
/// replies costs few receive calls, while large READ data goes straight from the socket into the caller's memory.
/// </summary>
internal sealed class NbdReplyReader(StreamTransport transport)
{
    private const int BufferLength = 64 * 1024;

    private readonly byte[] _buffer = new byte[BufferLength];
    private int _start;
    private int _end;

    /// <summary>Fills <paramref name="destination"/>; the server closing first is an <see cref="EndOfStreamException"/>.</summary>
    public async ValueTask ReadExactlyAsync(Memory<byte> destination)
    {
        int buffered = Math.Min(_end - _start, destination.Length);
        _buffer.AsSpan(_start, buffered).CopyTo(destination.Span);
        _start += buffered;
        destination = destination[buffered..];
        if (destination.IsEmpty)
        {
            return;
        }

        if (destination.Length >= BufferLength / 2)
        {
            await ReceiveExactlyAsync(destination);
            return;
        }

        _start = 0;
        _end = 0;
        while (_end < destination.Length)
        {
            _end += await ReceiveSomeAsync(_buffer.AsMemory(_end));
        }

        _buffer.AsSpan(0, destination.Length).CopyTo(destination.Span);
        _start = destination.Length;
    }

    /// <summary>Reads and drops <paramref name="length"/> bytes (a payload the client has no use for).</summary>
    public async ValueTask SkipAsync(long length)
    {
        while (length > 0)
        {
            if (_start == _end)
            {
                _start = 0;
                _end = await ReceiveSomeAsync(_buffer);
            }

            int part = (int)Math.Min(length, _end - _start);
            _start += part;
            length -= part;
        }
    }

    private async ValueTask ReceiveExactlyAsync(Memory<byte> destination)
    {
        while (!destination.IsEmpty)
        {
            destination = destination[await ReceiveSomeAsync(destination)..];
        }
    }

    private async ValueTask<int> ReceiveSomeAsync(Memory<byte> destination)
    {
        int received = await transport.ReceiveAsync(destination, CancellationToken.None);
        return received > 0 ? received : throw new EndOfStreamException("the server closed the connection");
    }
}
