using ExportPS.Host;
using Xunit;

namespace ExportPS.Host.Tests;

/// <summary>
/// Command lines that qemu-storage-daemon 7.2 refuses, given to it and to the ExportPS host: both must refuse the same
/// option with the same text. The options before the refused one must succeed in both, so a case also shows that the
/// host accepts what QEMU accepts (null-aio, iothread poll knobs). These are the points where the host's command line
/// and QMP used to read the same options differently.
/// </summary>
public sealed class HostCommandLineDifferentialTests
{
    private const string Qsd = Peer.QemuStorageDaemon;

    public static TheoryData<string[]> CommandLines => new()
    {
        { ["--blockdev", "driver=null-aio,node-name=n,size=1048576", "--blockdev", "driver=bogus,node-name=b"] },
        { ["--blockdev", """{"driver":"null-aio","node-name":"n","read-zeroes":true}""", "--blockdev", "driver=null-co,node-name=n"] },
        { ["--blockdev", "driver=null-co,node-name=n", "--export", "type=nbd,id=e,node-name=n,bitmap=b"] },
        { ["--blockdev", "driver=null-co,node-name=n", "--export", "type=nbd,id=e,node-name=n,bitmaps.0.node=n"] },
        { ["--blockdev", "driver=null-co,node-name=n", "--export", """{"type":"nbd","id":"e","node-name":"n","bitmaps":[{"node":"n"}]}"""] },
        { ["--blockdev", "driver=null-co,node-name=n", "--export", "type=bogus,id=e,node-name=n"] },
        { ["--blockdev", "driver=null-co,node-name=n", "--export", "type=fuse,id=e,node-name=n"] },
        { ["--blockdev", "driver=null-co,node-name=n", "--export", "type=fuse,id=e,node-name=n,mountpoint=/m,allow-other=maybe"] },
        { ["--blockdev", "driver=null-co,node-name=n", "--export", "type=fuse,id=e,node-name=n,mountpoint=/m,growable=x"] },
        { ["--blockdev", "driver=null-co,node-name=n", "--export", "type=fuse,id=e,node-name=n,mountpoint=/nonexistent/disk.img"] },
        { ["--blockdev", "driver=null-co,node-name=n,cache.direct=off,cache.foo=1"] },
        { ["--blockdev", "driver=null-co"] },
        { ["--blockdev", "driver=null-co,node-name=n,discard=unmap,detect-zeroes=unmap,cache.direct=on,cache.no-flush=on", "--blockdev", "driver=null-co,node-name=m,detect-zeroes=unmap"] },
        { ["--blockdev", "driver=null-co,node-name=n,read-only=on,force-share=on", "--blockdev", "driver=null-co,node-name=m,force-share=on"] },
        { ["--blockdev", "driver=null-co,node-name=n,discard=on"] },
        { ["--object", "iothread,id=io0,poll-max-ns=0,poll-grow=2,poll-shrink=2,aio-max-batch=0", "--object", "iothread,id=io1,poll-max-ns=-1"] },
        { ["--object", "iothread,id=io0,poll-grow=x"] },
        { ["--object", "authz-simple,id=a"] },
        { ["--object", "authz-list,id=a,rules.0=x"] },
        { ["--object", """{"qom-type":"authz-list","id":"a","rules":["x"]}"""] },
        { ["--object", "bogus,id=x"] },
        { ["--nbd-server", """{"addr":{"type":"inet","host":"127.0.0.1","port":0}}"""] },
        { ["--nbd-server", "addr.type=unix,addr.path=/nonexistent/s,max-connections=-1"] },
    };

    [Theory]
    [MemberData(nameof(CommandLines))]
    public void Host_refuses_what_qemu_storage_daemon_refuses_with_its_text(string[] args)
    {
        string qemu = QsdError(args);
        using var output = new StringWriter();
        using var error = new StringWriter();
        using var stopped = new CancellationTokenSource();
        stopped.Cancel();

        int exitCode = HostRunner.Run(args, output, error, stopped.Token);

        Assert.Equal(1, exitCode);
        Assert.Equal(qemu, Unprefixed(error.ToString(), UsageText.ProgramName));
    }

    private static string QsdError(string[] args)
    {
        var result = PeerProcess.Run(Qsd, args, TimeSpan.FromSeconds(10));
        Assert.Equal(1, result.ExitCode);
        return Unprefixed(result.Stderr, "qemu-storage-daemon");
    }

    private static string Unprefixed(string text, string program)
    {
        string line = text.TrimEnd('\n', '\r');
        Assert.StartsWith(program + ": ", line);
        return line[(program.Length + 2)..];
    }
}
