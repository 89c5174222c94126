using Xunit;

namespace ExportPS.Host.Tests;

/// <summary>
/// The host takes QEMU's common blockdev options on its command line, and an NBD client (python3-libnbd) sees them
/// honoured: detect-zeroes=unmap with discard=unmap turns a zero write into a hole, trim punches one, cache.no-flush
/// flushes succeed, and a node with QEMU's defaults keeps its data through a trim.
/// </summary>
public sealed class HostBlockdevOptionsEndToEndTests : IDisposable
{
    private const int ImageSize = 8 << 20;
    private readonly TempDirectory _directory = new("exportps-host-opts-");

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Discard_detect_zeroes_and_no_flush_reach_an_NBD_client()
    {
        string unmapImage = NewImage("unmap.img");
        string keepImage = NewImage("keep.img");
        string socket = _directory.File("nbd.sock");
        using var host = HostProcess.Start(
            "--blockdev", $"driver=file,node-name=x,filename={unmapImage},discard=unmap,detect-zeroes=unmap,cache.direct=on,cache.no-flush=on",
            "--blockdev", $"driver=file,node-name=keep,filename={keepImage}",
            "--nbd-server", $"addr.type=unix,addr.path={socket}",
            "--export", "type=nbd,id=e1,node-name=x,name=unmap,writable=on",
            "--export", "type=nbd,id=e2,node-name=keep,name=keep,writable=on");
        host.WaitForUnix(socket);

        var result = PeerProcess.Run("/usr/bin/python3",
            [TestScript.Path("libnbd_node_options.py"), $"nbd+unix:///unmap?socket={socket}", $"nbd+unix:///keep?socket={socket}"],
            TimeSpan.FromSeconds(60));

        Assert.Equal(0, host.Stop());
        string output = result.Check("libnbd_node_options.py").Stdout;
        Assert.Equal(5, output.Split('\n').Count(line => line.StartsWith("ok ", StringComparison.Ordinal)));
        Assert.Equal(string.Empty, host.Error);
        byte[] kept = File.ReadAllBytes(keepImage);
        Assert.All(kept.AsSpan(0, 65536).ToArray(), b => Assert.Equal(0x3c, b));
    }

    private string NewImage(string name)
    {
        string path = _directory.File(name);
        using var file = File.Create(path);
        file.SetLength(ImageSize);
        return path;
    }
}
