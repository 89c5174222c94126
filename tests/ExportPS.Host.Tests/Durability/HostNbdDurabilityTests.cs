using Xunit;
using Xunit.Abstractions;

namespace ExportPS.Host.Tests.Durability;

/// <summary>
/// Acknowledged means written: a client writes self-describing units to a file image through the host's NBD export,
/// counting a write once the server acknowledged it as durable (a FUA write's reply, a flush's reply, or any write's
/// reply on a writethrough export); the host is killed with SIGKILL in the middle of the stream, and the image, read
/// directly afterwards, holds every acknowledged write. With the file driver, O_DIRECT (cache.direct=on) and through
/// the page cache, and with the NBD client driver in front of a qemu-nbd serving the image.
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
        await WriteKillAndVerifyAsync(image, $"driver=file,node-name=img,filename={image},cache.direct={(direct ? "on" : "off")}", mode,
            $"file driver, cache.direct={(direct ? "on" : "off")}");
    }

    /// <summary>The NBD client driver passes FUA and flushes on to the server behind it before the host acknowledges.</summary>
    [Theory]
    [InlineData(DurableWriteMode.Fua)]
    [InlineData(DurableWriteMode.Flush)]
    [InlineData(DurableWriteMode.Plain)]
    public async Task ThroughTheNbdClientDriver_EveryAcknowledgedWriteIsInTheBackendImageAfterTheHostIsKilled(DurableWriteMode mode)
    {
        string image = _directory.SparseFile(ImageSize);
        string backend = _directory.File("backend.sock");
        using var qemuNbd = new PeerProcess.Background(Peer.QemuNbd, ["-f", "raw", "-k", backend, "-x", "img", "--cache=writeback", "--persistent", image]);
        qemuNbd.WaitForFile(backend);
        await WriteKillAndVerifyAsync(image, $"driver=nbd,node-name=img,server.type=unix,server.path={backend},export=img", mode,
            "NBD client driver to qemu-nbd");
    }

    /// <summary>
    /// Serves <paramref name="blockdev"/> (node "img") over NBD from a host process, writes until enough writes were
    /// acknowledged, kills the host with SIGKILL and checks <paramref name="image"/>.
    /// </summary>
    private async Task WriteKillAndVerifyAsync(string image, string blockdev, DurableWriteMode mode, string what)
    {
        string socket = _directory.File("nbd.sock");
        bool writethrough = mode == DurableWriteMode.Plain;
        using var host = HostProcess.Start(
            "--blockdev", blockdev,
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
        output.WriteLine($"{what}, {mode}{(writethrough ? " (writethrough export)" : "")}: "
            + $"{log.Issued} writes issued, {log.Acknowledged} acknowledged, {bytesVerified} bytes verified; the writer ended with: {lost.GetType().Name}");
        Assert.Empty(problems.Take(20));
        Assert.True(log.Acknowledged >= AcknowledgedBeforeKill);
        Assert.True(bytesVerified >= log.Acknowledged * (long)SelfDescribingUnit.Size / 2, $"{bytesVerified} bytes for {log.Acknowledged} writes");
    }
}
