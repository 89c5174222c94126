using Xunit;
using Xunit.Abstractions;

namespace ExportPS.Host.Tests.Durability;

/// <summary>
/// Acknowledged means written: a client writes self-describing units to a file image through the host's NBD export,
/// counting a write once the server acknowledged it as durable (a FUA write's reply, a flush's reply, or any write's
/// reply on a writethrough export); the host is killed with SIGKILL in the middle of the stream, and the image, read
/// directly afterwards, holds every acknowledged write. With O_DIRECT (cache.direct=on) and through the page cache.
/// </summary>
public sealed class HostNbdDurabilityTests(ITestOutputHelper output) : IDisposable
{
    private const long ImageSize = 32L << 20;
    private const int AcknowledgedBeforeKill = 300;
    private static readonly TimeSpan MinimumLoad = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaximumLoad = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _directory = new("exportps-durable-");

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(true, DurableWriteMode.Fua)]
    [InlineData(false, DurableWriteMode.Fua)]
    [InlineData(true, DurableWriteMode.Flush)]
    [InlineData(false, DurableWriteMode.Flush)]
    [InlineData(true, DurableWriteMode.Plain)]
    [InlineData(false, DurableWriteMode.Plain)]
    public async Task EveryAcknowledgedWriteIsInTheImageAfterTheHostIsKilled(bool direct, DurableWriteMode mode)
    {
        string image = _directory.SparseFile(ImageSize);
        string socket = _directory.File("nbd.sock");
        bool writethrough = mode == DurableWriteMode.Plain;
        using var host = HostProcess.Start(
            "--blockdev", $"driver=file,node-name=img,filename={image},cache.direct={(direct ? "on" : "off")}",
            "--nbd-server", $"addr.type=unix,addr.path={socket}",
            "--export", $"type=nbd,id=exp,node-name=img,name=disk,writable=on,writethrough={(writethrough ? "on" : "off")}");
        host.WaitForUnix(socket);

        var writer = new NbdDurabilityWriter(socket, mode);
        var writing = Task.Factory.StartNew(writer.Run, TaskCreationOptions.LongRunning);
        var started = DateTime.UtcNow;
        while (DateTime.UtcNow - started < MinimumLoad || writer.Acknowledged < AcknowledgedBeforeKill)
        {
            if (writing.IsCompleted)
            {
                Assert.Fail($"the writer stopped before the kill: {await writing}");
            }

            Assert.True(DateTime.UtcNow - started < MaximumLoad, $"only {writer.Acknowledged} writes were acknowledged in {MaximumLoad}");
            await Task.Delay(20);
        }

        host.Kill();
        var lost = await writing.WaitAsync(TimeSpan.FromSeconds(15));

        var log = writer.Log;
        var (bytesVerified, problems) = log.Verify(image);
        output.WriteLine($"cache.direct={(direct ? "on" : "off")}, {mode}{(writethrough ? " (writethrough export)" : "")}: "
            + $"{log.Issued} writes issued, {log.Acknowledged} acknowledged, {bytesVerified} bytes verified; the writer ended with: {lost.GetType().Name}");
        Assert.Empty(problems.Take(20));
        Assert.True(log.Acknowledged >= AcknowledgedBeforeKill);
        Assert.True(bytesVerified >= log.Acknowledged * (long)SelfDescribingUnit.Size / 2, $"{bytesVerified} bytes for {log.Acknowledged} writes");
    }
}
