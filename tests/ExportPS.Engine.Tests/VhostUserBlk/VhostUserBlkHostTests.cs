using ExportPS.Engine.Tests.Block;
using ExportPS.Host;
using Xunit;

namespace ExportPS.Engine.Tests.VhostUserBlk;

/// <summary>The host executable with a vhost-user-blk export on its command line, as qemu-storage-daemon takes it.</summary>
public sealed class VhostUserBlkHostTests
{
    [Fact]
    public async Task TheHostServesTheExportAndNamesItsSocket()
    {
        using var directory = new TempDirectory();
        string socket = Path.Combine(directory.Path, "vub.sock");
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var stop = new CancellationTokenSource();
        var running = Task.Run(() => HostRunner.Run(
            ["--blockdev", "driver=null-co,node-name=disk,size=1M",
             "--export", $"type=vhost-user-blk,id=vub,node-name=disk,addr.type=unix,addr.path={socket},writable=on,logical-block-size=4096,num-queues=2"],
            output, error, stop.Token));

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(socket))
        {
            Assert.True(DateTime.UtcNow < deadline && !running.IsCompleted, $"the host did not listen: {error}");
            await Task.Delay(20);
        }

        using (var frontEnd = new TestFrontEnd(socket))
        {
            frontEnd.Negotiate();
            Assert.Equal(2UL, frontEnd.Get(ExportPS.Engine.VhostUser.VhostUserRequest.GetQueueNum));
        }

        stop.Cancel();
        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains($"vhost-user-blk export vub: node disk, 1 MiB, writable, 2 queue(s), socket {socket}", output.ToString());
        Assert.False(File.Exists(socket));
    }
}
