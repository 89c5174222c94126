using ExportPS.Engine.Net;
using ExportPS.Engine.Tests.Block;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

public sealed class PcapWriterTests
{
    private static readonly DateTimeOffset Seen = new(2026, 12, 6, 23, 50, 1, TimeSpan.Zero);

    private static byte[] Capture(int maxLength, params (byte[] Frame, DateTimeOffset At)[] frames)
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, maxLength, ownsStream: false))
        {
            foreach (var (frame, at) in frames)
                writer.WriteFrame(frame, at);
        }

        return stream.ToArray();
    }

    [Fact]
    public void HeaderAndRecordsReadBackAsWritten()
    {
        var small = TestFrames.Ethernet(0x0806, 42);
        var large = TestFrames.Ethernet(0x0800, 1514);
        var bytes = Capture(PcapWriter.DefaultMaxLength, (small, Seen), (large, Seen.AddTicks(1234567)));

        var pcap = PcapFile.Parse(bytes);

        Assert.Equal((0xa1b2c3d4u, (ushort)2, (ushort)4, 65536, 1u),
            (pcap.Magic, pcap.VersionMajor, pcap.VersionMinor, pcap.SnapLength, pcap.LinkType));
        Assert.Equal(2, pcap.Records.Count);
        Assert.Equal((Seen.ToUnixTimeSeconds(), 0L, 42), (pcap.Records[0].Seconds, pcap.Records[0].Microseconds,
            pcap.Records[0].OriginalLength));
        Assert.Equal(small, pcap.Records[0].Data);
        Assert.Equal((Seen.ToUnixTimeSeconds(), 123456L, 1514), (pcap.Records[1].Seconds, pcap.Records[1].Microseconds,
            pcap.Records[1].OriginalLength));
        Assert.Equal(large, pcap.Records[1].Data);
    }

    [Fact]
    public void FramesOverMaxLengthKeepTheirHeadAndOriginalLength()
    {
        var frame = TestFrames.Ethernet(0x0800, 1514);
        var pcap = PcapFile.Parse(Capture(64, (frame, Seen)));

        Assert.Equal(64, pcap.SnapLength);
        Assert.Equal(1514, pcap.Records[0].OriginalLength);
        Assert.Equal(frame[..64], pcap.Records[0].Data);
    }

    [Fact]
    public void TsharkDecodesLengthsEtherTypesTimesAndTheAnnounceFrame()
    {
        using var directory = new TempDirectory();
        var path = Path.Combine(directory.Path, "capture.pcap");
        var rarp = new byte[RarpAnnounceFrame.Length];
        RarpAnnounceFrame.Write(MacAddress.Parse("52:54:00:12:34:56"), rarp);
        using (var writer = new PcapWriter(File.Create(path), maxLength: 100))
        {
            writer.WriteFrame(TestFrames.Ethernet(0x0806, 42), Seen);
            writer.WriteFrame(TestFrames.Ethernet(0x0800, 1514), Seen.AddMilliseconds(250));
            writer.WriteFrame(rarp, Seen.AddSeconds(1));
        }

        var lines = Tshark.Fields(path, directory.Path,
            "frame.len", "frame.cap_len", "eth.type", "frame.time_epoch", "arp.opcode", "arp.src.hw_mac");
        var epoch = Seen.ToUnixTimeSeconds();
        Assert.Equal(3, lines.Length);
        Assert.Equal(["42", "42", "0x0806"], lines[0][..3]);
        Assert.Equal(["1514", "100", "0x0800"], lines[1][..3]);
        Assert.Equal(["60", "60", "0x8035"], lines[2][..3]);
        Assert.Equal(epoch + 0.25m, decimal.Parse(lines[1][3], System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(["3", "52:54:00:12:34:56"], lines[2][4..6]);
    }

    [Fact]
    public void FramesFromSeveralThreadsStayWhole()
    {
        var stream = new MemoryStream();
        using (var writer = new PcapWriter(stream, ownsStream: false))
        {
            Parallel.For(0, 4, thread =>
            {
                for (var i = 0; i < 200; i++)
                    writer.WriteFrame(TestFrames.Make(60 + thread, (byte)thread), Seen);
            });
        }

        var pcap = PcapFile.Parse(stream.ToArray());
        Assert.Equal(800, pcap.Records.Count);
        Assert.All(pcap.Records, record =>
            Assert.Equal(TestFrames.Make(record.OriginalLength, (byte)(record.OriginalLength - 60)), record.Data));
    }
}
