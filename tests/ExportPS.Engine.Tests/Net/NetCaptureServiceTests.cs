using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Net;
using ExportPS.Engine.Qmp;
using Xunit;

namespace ExportPS.Engine.Tests.Net;

/// <summary>Captures (filter-dump objects) of a real engine's netdevs: the pcap file, the object namespace, QEMU's refusals.</summary>
public sealed class NetCaptureServiceTests : IDisposable
{
    private readonly NetdevTestEngine _test = new();
    private ExportEngine Engine => _test.Engine;

    public void Dispose() => _test.Dispose();

    private NetCaptureOptions Capture(string id, string netdev) => new() { Id = id, Netdev = netdev, Path = _test.File(id + ".pcap") };

    /// <summary>Unix stream servers s0 and s1 on hub 0 (ports p0, p1), with their far ends connected.</summary>
    private (StreamTestPeer A, StreamTestPeer B) HubOfTwoStreams()
    {
        var peers = new StreamTestPeer[2];
        for (int i = 0; i < 2; i++)
        {
            string socket = _test.File($"s{i}.sock");
            Engine.AddNetdev(new StreamNetdevOptions { Id = $"s{i}", Server = true, Address = SocketAddressOptions.Unix(socket) });
            _test.AddHubPort($"p{i}", $"s{i}");
            peers[i] = StreamTestPeer.ConnectUnix(socket);
            _test.WaitUntil(n => n.Connected, $"s{i}", $"s{i} has its far end");
        }

        return (peers[0], peers[1]);
    }

    private void WaitForFrames(string id, long frames) =>
        Assert.True(SpinWait.SpinUntil(() => Engine.GetNetCaptures().Single(c => c.Id == id).Frames == frames, TimeSpan.FromSeconds(10)),
            $"capture {id} did not reach {frames} frames: {Engine.GetNetCaptures().Single(c => c.Id == id)}");

    [Fact]
    public void TsharkDecodesBothDirectionsFromTheFileWhileFramesFlowAndAStoppedCaptureWritesNoMore()
    {
        var (a, b) = HubOfTwoStreams();
        using var _ = a;
        using var __ = b;
        var options = Capture("c0", "s0") with { MaxLength = 100 };
        var started = Engine.AddNetCapture(options);
        Assert.Equal(new NetCaptureInfo { Id = "c0", Netdev = "s0", Path = options.Path, MaxLength = 100, Queue = NetCaptureDirection.All, Enabled = true },
            started);

        a.SendFrame(TestFrames.Ethernet(0x0800, 1514));
        b.ReceiveFrame();
        b.SendFrame(TestFrames.Ethernet(0x0806, 60));
        a.ReceiveFrame();
        WaitForFrames("c0", 2);

        // Read while the capture still runs: every record is in the file as soon as it is counted.
        Assert.Equal([["1514", "100", "0x0800"], ["60", "60", "0x0806"]],
            Tshark.Fields(options.Path, _test.Path, "frame.len", "frame.cap_len", "eth.type"));

        Engine.RemoveNetCapture("c0");
        Assert.Empty(Engine.GetNetCaptures());
        a.SendFrame(TestFrames.Ethernet(0x0800, 64));
        b.ReceiveFrame();
        Assert.Equal(2, PcapFile.Parse(File.ReadAllBytes(options.Path)).Records.Count);
    }

    [Fact]
    public void RemovingANetdevRemovesItsCapturesAndOnlyThose()
    {
        _test.AddHubPort("p0");
        _test.AddHubPort("p1");
        Engine.AddNetCapture(Capture("c0", "p0"));
        Engine.AddNetCapture(Capture("c1", "p0") with { Position = "id=c0", Insert = NetCaptureInsert.Before });
        Engine.AddNetCapture(Capture("c2", "p1"));

        Engine.RemoveNetdev("p0");

        Assert.Equal(["c2"], Engine.GetNetCaptures().Select(c => c.Id));
        Engine.AddNetCapture(Capture("c3", "p1"));
        Assert.Equal(["c2", "c3"], Engine.GetNetCaptures().Select(c => c.Id));
        Assert.Equal(ErrorIds.ObjectNotFound, Assert.Throws<EngineException>(() => Engine.RemoveObject("c0")).ErrorId);
        Assert.Equal(PcapWriter.GlobalHeaderLength, new FileInfo(_test.File("c0.pcap")).Length);

        // object-del takes a capture like any object.
        Engine.RemoveObject("c2");
        Assert.Equal(["c3"], Engine.GetNetCaptures().Select(c => c.Id));
    }

    [Fact]
    public void AnOffCaptureWritesItsHeaderAndNoFrames()
    {
        var (a, b) = HubOfTwoStreams();
        using var _ = a;
        using var __ = b;
        Engine.AddNetCapture(Capture("c0", "p1") with { Enabled = false });
        Engine.AddNetCapture(Capture("c1", "p1") with { Queue = NetCaptureDirection.Rx });

        a.SendFrame(TestFrames.Ethernet(0x0800, 80));
        b.ReceiveFrame();
        WaitForFrames("c1", 0);
        b.SendFrame(TestFrames.Ethernet(0x0800, 90));
        a.ReceiveFrame();
        WaitForFrames("c1", 1);

        Assert.Equal(0, Engine.GetNetCaptures().Single(c => c.Id == "c0").Frames);
        Assert.Equal(PcapWriter.GlobalHeaderLength, new FileInfo(_test.File("c0.pcap")).Length);
        Assert.Equal([90], PcapFile.Parse(File.ReadAllBytes(_test.File("c1.pcap"))).Records.Select(r => r.OriginalLength));
    }

    public static TheoryData<string, Func<NetCaptureOptions, NetCaptureOptions>, string, EngineErrorCategory, string> Refusals => new()
    {
        { "maxlen 0", o => o with { MaxLength = 0 }, ErrorIds.InvalidNetCaptureOptions, EngineErrorCategory.InvalidArgument, "Property 'filter-dump.maxlen' doesn't take value '0'" },
        { "the id of an iothread", o => o with { Id = "io0" }, ErrorIds.ObjectExists, EngineErrorCategory.AlreadyExists, "attempt to add duplicate property 'io0' to object (type 'container')" },
        { "an unknown netdev", o => o with { Netdev = "nope" }, ErrorIds.InvalidNetCaptureOptions, EngineErrorCategory.InvalidArgument, "Parameter 'netdev' expects a network backend id" },
        { "a bad position", o => o with { Position = "middle" }, ErrorIds.InvalidNetCaptureOptions, EngineErrorCategory.InvalidArgument, "Parameter 'position' expects 'head', 'tail' or 'id=<id>'" },
        { "a position of another netdev's capture", o => o with { Position = "id=other" }, ErrorIds.InvalidNetCaptureOptions, EngineErrorCategory.InvalidArgument, "filter 'other' belongs to a different netdev" },
        { "a position of no capture", o => o with { Position = "id=io0" }, ErrorIds.InvalidNetCaptureOptions, EngineErrorCategory.InvalidArgument, "filter 'io0' not found" },
        { "a file in no directory", o => o with { Path = "/nonexistent-dir/c.pcap" }, ErrorIds.NetCaptureOpenFailed, EngineErrorCategory.NotFound, "net dump: can't open /nonexistent-dir/c.pcap: No such file or directory" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void RefusesWithQemusWords(string what, Func<NetCaptureOptions, NetCaptureOptions> change, string errorId, EngineErrorCategory category, string message)
    {
        Engine.AddIoThread(new IoThreadOptions { Id = "io0" });
        _test.AddHubPort("p0");
        _test.AddHubPort("p1");
        Engine.AddNetCapture(Capture("other", "p1"));

        var error = Assert.Throws<EngineException>(() => Engine.AddNetCapture(change(Capture("c0", "p0"))));

        Assert.Equal((errorId, category, message), (error.ErrorId, error.Category, error.Message));
        Assert.Equal(["other"], Engine.GetNetCaptures().Select(c => c.Id));
        Assert.False(File.Exists(_test.File("c0.pcap")), what);
        Engine.AddNetCapture(Capture("c0", "p0"));
    }

    [Fact]
    public void StoppingAnIdThatIsNoCaptureIsNotFoundAndLeavesTheObject()
    {
        Engine.AddIoThread(new IoThreadOptions { Id = "io0" });

        var error = Assert.Throws<EngineException>(() => Engine.RemoveNetCapture("io0"));

        Assert.Equal((ErrorIds.NetCaptureNotFound, "object 'io0' not found"), (error.ErrorId, error.Message));
        Assert.Single(Engine.GetIoThreads());
    }

    [Fact]
    public void EveryCaptureCallOverQmpGivesWhatTheEngineGives()
    {
        using var server = QmpServer.Start(Engine, _test.File("qmp.sock"));
        using var client = QmpExportEngine.Connect(server.SocketPath, TimeSpan.FromSeconds(10));
        _test.AddHubPort("p0");

        var added = client.AddNetCapture(Capture("c0", "p0") with { MaxLength = 256, Queue = NetCaptureDirection.Tx });

        Assert.Equal(Engine.GetNetCaptures().Single(), added);
        Assert.Equal((256, NetCaptureDirection.Tx), (added.MaxLength, added.Queue));
        Assert.Equal(Engine.GetNetCaptures(), client.GetNetCaptures());
        Assert.Equal(ErrorIds.InvalidNetCaptureOptions, Assert.Throws<EngineException>(() => client.AddNetCapture(Capture("c1", "nope"))).ErrorId);
        client.RemoveNetCapture("c0");
        Assert.Empty(Engine.GetNetCaptures());
        Assert.Equal(ErrorIds.NetCaptureNotFound, Assert.Throws<EngineException>(() => client.RemoveNetCapture("c0")).ErrorId);
    }
}
