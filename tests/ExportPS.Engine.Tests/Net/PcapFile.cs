using System.Buffers.Binary;

namespace ExportPS.Engine.Tests.Net;

/// <summary>Reads back a little-endian classic pcap file: its header fields and every record.</summary>
internal sealed record PcapFile(uint Magic, ushort VersionMajor, ushort VersionMinor, int SnapLength, uint LinkType,
    IReadOnlyList<PcapFile.Record> Records)
{
    public sealed record Record(long Seconds, long Microseconds, int OriginalLength, byte[] Data);

    public static PcapFile Parse(byte[] bytes)
    {
        var span = bytes.AsSpan();
        var records = new List<Record>();
        var offset = 24;
        while (offset < bytes.Length)
        {
            var header = span.Slice(offset, 16);
            var captured = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
            records.Add(new Record(
                BinaryPrimitives.ReadUInt32LittleEndian(header),
                BinaryPrimitives.ReadUInt32LittleEndian(header[4..]),
                BinaryPrimitives.ReadInt32LittleEndian(header[12..]),
                span.Slice(offset + 16, captured).ToArray()));
            offset += 16 + captured;
        }

        return new PcapFile(
            BinaryPrimitives.ReadUInt32LittleEndian(span),
            BinaryPrimitives.ReadUInt16LittleEndian(span[4..]),
            BinaryPrimitives.ReadUInt16LittleEndian(span[6..]),
            BinaryPrimitives.ReadInt32LittleEndian(span[16..]),
            BinaryPrimitives.ReadUInt32LittleEndian(span[20..]),
            records);
    }
}
