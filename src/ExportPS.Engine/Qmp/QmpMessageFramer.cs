namespace ExportPS.Engine.Qmp;

/// <summary>One unit cut from a QMP byte stream: a complete top-level JSON object or array, or a framing error.</summary>
internal readonly record struct QmpFrame(byte[]? Message, string? Error);

/// <summary>
/// Cuts a QMP byte stream into top-level JSON values, the way QEMU's JSON streamer does: messages need no newline
/// between them and may span lines. It only tracks nesting and strings; parsing is left to the caller. A message longer
/// than the limit is reported once and then skipped to its end, so one flooding client costs bounded memory.
/// </summary>
internal sealed class QmpMessageFramer(int maxMessageBytes)
{
    private readonly MemoryStream _buffer = new();
    private int _depth;
    private byte _quote;
    private bool _escaped;
    private bool _inStrayToken;
    private bool _oversized;

    public int MaxMessageBytes { get; } = maxMessageBytes;

    /// <summary>Consumes <paramref name="data"/> and returns every frame it completes, in order.</summary>
    public List<QmpFrame> Feed(ReadOnlySpan<byte> data)
    {
        var frames = new List<QmpFrame>();
        foreach (byte b in data)
        {
            if (_inStrayToken)
            {
                if (_quote != 0 ? !EndsString(b) : !IsTokenEnd(b))
                {
                    Append(b);
                    continue;
                }

                if (_quote != 0)
                {
                    Append(b);
                    _quote = 0;
                    frames.Add(FlushStrayToken());
                    continue;
                }

                frames.Add(FlushStrayToken());
            }

            if (_depth == 0)
            {
                StartAtTopLevel(b, frames);
                continue;
            }

            Append(b);
            if (_quote != 0)
            {
                if (EndsString(b))
                {
                    _quote = 0;
                }

                continue;
            }

            switch (b)
            {
                case (byte)'"' or (byte)'\'':
                    _quote = b;
                    break;
                case (byte)'{' or (byte)'[':
                    _depth++;
                    break;
                case (byte)'}' or (byte)']':
                    if (--_depth == 0)
                    {
                        frames.Add(FlushMessage());
                    }

                    break;
            }
        }

        return frames;
    }

    private void StartAtTopLevel(byte b, List<QmpFrame> frames)
    {
        switch (b)
        {
            case (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n':
                return;
            case (byte)'{' or (byte)'[':
                _depth = 1;
                Append(b);
                return;
            case (byte)'}' or (byte)']':
                frames.Add(new QmpFrame(null, "JSON parse error, expecting value"));
                return;
            case (byte)'"' or (byte)'\'':
                _quote = b;
                _inStrayToken = true;
                Append(b);
                return;
            default:
                _inStrayToken = true;
                Append(b);
                return;
        }
    }

    // A string ends at its unescaped closing quote.
    private bool EndsString(byte b)
    {
        if (_escaped)
        {
            _escaped = false;
            return false;
        }

        if (b == (byte)'\\')
        {
            _escaped = true;
            return false;
        }

        return b == _quote;
    }

    private static bool IsTokenEnd(byte b) =>
        b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n' or (byte)'{' or (byte)'[' or (byte)'}' or (byte)']';

    private void Append(byte b)
    {
        if (_oversized)
        {
            return;
        }

        if (_buffer.Length >= MaxMessageBytes)
        {
            _oversized = true;
            _buffer.SetLength(0);
            return;
        }

        _buffer.WriteByte(b);
    }

    private QmpFrame FlushMessage()
    {
        var frame = _oversized ? TooLarge() : new QmpFrame(_buffer.ToArray(), null);
        Reset();
        return frame;
    }

    // Anything at the top level that is not an object or array: QEMU rejects a word as an invalid keyword and any other
    // complete value as not being an object.
    private QmpFrame FlushStrayToken()
    {
        QmpFrame frame;
        if (_oversized)
        {
            frame = TooLarge();
        }
        else
        {
            string token = System.Text.Encoding.UTF8.GetString(_buffer.GetBuffer(), 0, (int)_buffer.Length);
            frame = new QmpFrame(null, char.IsAsciiLetter(token[0])
                ? $"JSON parse error, invalid keyword '{token}'"
                : "QMP input must be a JSON object");
        }

        _inStrayToken = false;
        Reset();
        return frame;
    }

    private QmpFrame TooLarge() => new(null, $"JSON parse error, message exceeds {MaxMessageBytes} bytes");

    private void Reset()
    {
        _buffer.SetLength(0);
        _depth = 0;
        _quote = 0;
        _escaped = false;
        _oversized = false;
    }
}
