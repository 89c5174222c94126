using Xunit;

namespace ExportPS.Host.Tests.Durability;

/// <summary>The durability check itself: it accepts an image with every acknowledged write and names each way one can be lost.</summary>
public sealed class WriteLogTests : IDisposable
{
    private const int Unit = SelfDescribingUnit.Size;
    private readonly TempDirectory _directory = new("exportps-writelog-");

    public void Dispose() => _directory.Dispose();

    /// <summary>Writes 0 and 1 cover units 0-1 and 1-2; write 1 is acknowledged, write 2 (unit 3) is still in flight.</summary>
    private (WriteLog Log, byte[] Image) Scenario()
    {
        var log = new WriteLog(42);
        var image = new byte[8 * Unit];
        foreach (var (offset, units) in new[] { (0L, 2), (Unit, 2), (3L * Unit, 1) })
        {
            long sequence = log.Issue(offset, units);
            log.Fill(sequence, image.AsSpan((int)offset, units * Unit));
        }

        log.Acknowledge(0);
        log.Acknowledge(1);
        return (log, image);
    }

    private IReadOnlyList<string> Check(WriteLog log, byte[] image)
    {
        string path = _directory.File($"{Guid.NewGuid():n}.img");
        File.WriteAllBytes(path, image);
        var (bytes, problems) = log.Verify(path);
        Assert.Equal(3 * Unit, bytes);
        return problems;
    }

    [Fact]
    public void AnImageWithEveryAcknowledgedWrite_Passes_WhetherTheWriteInFlightLandedOrNot()
    {
        var (log, image) = Scenario();
        Assert.Empty(Check(log, image));
        image.AsSpan(3 * Unit, Unit).Clear();
        Assert.Empty(Check(log, image));
    }

    [Fact]
    public void AMissingAcknowledgedWrite_IsReported()
    {
        var (log, image) = Scenario();
        image.AsSpan(2 * Unit, Unit).Clear();
        Assert.Equal(["offset 1024: zeroes, but write 1 was acknowledged"], Check(log, image));
    }

    [Fact]
    public void ATornUnit_IsReported()
    {
        var (log, image) = Scenario();
        image[Unit + 100] ^= 1;
        Assert.Equal(["offset 512: not an intact unit of this run (write 1 was acknowledged)"], Check(log, image));
    }

    [Fact]
    public void AnOlderWriteWhereALaterOneWasAcknowledged_IsReported()
    {
        var (log, image) = Scenario();
        var older = new byte[2 * Unit];
        log.Fill(0, older);
        older.AsSpan(Unit, Unit).CopyTo(image.AsSpan(Unit));
        Assert.Equal(["offset 512: holds write 0, older than the acknowledged write 1"], Check(log, image));
    }

    [Fact]
    public void AUnitAtAnOffsetNoWriteCovered_IsReported()
    {
        var (log, image) = Scenario();
        image.AsSpan(0, Unit).CopyTo(image.AsSpan(6 * Unit));
        Assert.Equal(["offset 3072: not an intact unit of this run"], Check(log, image));
    }
}
