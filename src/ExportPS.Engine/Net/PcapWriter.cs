using System.Buffers.Binary;

namespace ExportPS.Engine.Net;

/// <summary>
/// Writes a classic pcap capture of Ethernet frames, as QEMU's filter-dump: a global header (magic a1b2c3d4, all fields little-endian as QEMU writes them on x86,
/// version 2.4, link type Ethernet, snap length = the maximum kept per frame), then per frame a
/// record header (time in seconds and microseconds, kept length, original length) and the first bytes of the frame.
/// Frames may come from several threads (both directions of a netdev); each record is written whole. A write error
/// stops the capture (as QEMU's dump does) rather than disturb the traffic it watches; <see cref="Failure"/> says why.
/// </summary>
public sealed class PcapWriter : IDisposable
{
    /// <summary>QEMU filter-dump's default maxlen.</summary>
    public const int DefaultMaxLength = 65536;

    public const uint Magic = 0xa1b2c3d4;
    public const uint LinkTypeEthernet = 1;
    public const int GlobalHeaderLength = 24;
    public const int RecordHeaderLength = 16;

    private readonly Stream _stream;
    private readonly bool _ownsStream;
    private readonly object _gate = new();

    /// <summary>Writes the global header at once.</summary>
    public PcapWriter(Stream stream, int maxLength = DefaultMaxLength, bool ownsStream = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxLength);
        _stream = stream;
        _ownsStream = ownsStream;
        MaxLength = maxLength;

        Span<byte> header = stackalloc byte[GlobalHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2);
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0); // thiszone: timestamps are UTC
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0); // sigfigs
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], maxLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], LinkTypeEthernet);
        _stream.Write(header);
    }

    /// <summary>Frames longer than this keep only their first MaxLength bytes; the record keeps the original length.</summary>
    public int MaxLength { get; }

    /// <summary>Why the capture stopped writing, or null while it writes.</summary>
    public string? Failure { get; private set; }

    /// <summary>The records written so far.</summary>
    public long Frames => Interlocked.Read(ref _frames);

    private long _frames;
    private bool _closed; // under _gate: a frame that raced the capture's removal finds the file closed and is not written

    /// <summary>Appends one frame seen at <paramref name="timestamp"/>, unless a write error stopped the capture.</summary>
    public void WriteFrame(ReadOnlySpan<byte> frame, DateTimeOffset timestamp)
    {
        var microseconds = (timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;
        var kept = frame[..Math.Min(frame.Length, MaxLength)];

        Span<byte> record = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(record, (uint)(microseconds / 1_000_000));
        BinaryPrimitives.WriteUInt32LittleEndian(record[4..], (uint)(microseconds % 1_000_000));
        BinaryPrimitives.WriteInt32LittleEndian(record[8..], kept.Length);
        BinaryPrimitives.WriteInt32LittleEndian(record[12..], frame.Length);
        lock (_gate)
        {
            if (Failure is not null || _closed)
                return;
            try
            {
                _stream.Write(record);
                _stream.Write(kept);
                Interlocked.Increment(ref _frames);
            }
            catch (IOException error)
            {
                Failure = error.Message;
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_closed)
                return;
            _closed = true;
            try
            {
                if (Failure is null)
                    _stream.Flush();
            }
            finally
            {
                if (_ownsStream)
                    _stream.Dispose();
            }
        }
    }
}
