using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp.Codecs;
using ExportPS.Host.CommandLine;
using Xunit;
using static ExportPS.Host.Tests.HostParsing;

namespace ExportPS.Host.Tests;

/// <summary>
/// The vhost-user-blk and vduse-blk branches as the host's --export and QMP's block-export-add read them (one reader),
/// with QEMU's error texts, and the QMP codec writing what it reads.
/// </summary>
public sealed class VhostUserBlkOptionsReadingTests
{
    private static BlockExportOptions Export(string argument) => Step<AddBlockExportStep>("export", argument).Options;

    [Fact]
    public void EveryVhostUserBlkOptionIsRead()
    {
        var options = Export("type=vhost-user-blk,id=e0,node-name=disk,addr.type=unix,addr.path=/run/d.sock,writable=on,logical-block-size=4k,num-queues=4");
        Assert.Equal(BlockExportType.VhostUserBlk, options.Type);
        Assert.True(options.Writable);
        var branch = Assert.IsType<VhostUserBlkExportOptions>(options.VhostUserBlk);
        Assert.Equal(SocketAddressOptions.Unix("/run/d.sock"), branch.Address);
        Assert.Equal(4096, branch.LogicalBlockSize);
        Assert.Equal(4, branch.NumQueues);
    }

    [Fact]
    public void DefaultsAreQemus()
    {
        var branch = Export("vhost-user-blk,id=e0,node-name=disk,addr.type=fd,addr.str=5").VhostUserBlk!;
        Assert.Equal(SocketAddressOptions.FromFd("5"), branch.Address);
        Assert.Equal(512, branch.LogicalBlockSize);
        Assert.Equal(1, branch.NumQueues);
    }

    [Fact]
    public void VduseBlkOptionsAreRead()
    {
        var branch = Export("vduse-blk,id=e0,node-name=disk,name=vd0,num-queues=2,queue-size=128,logical-block-size=4096,serial=abc").VduseBlk!;
        Assert.Equal(new VduseBlkExportOptions { Name = "vd0", NumQueues = 2, QueueSize = 128, LogicalBlockSize = 4096, Serial = "abc" }, branch);
    }

    [Theory]
    [InlineData("vhost-user-blk,id=e,node-name=n,addr.type=unix", "Parameter 'addr.path' is missing")]
    [InlineData("vhost-user-blk,id=e,node-name=n,addr.type=fd", "Parameter 'addr.str' is missing")]
    [InlineData("vhost-user-blk,id=e,node-name=n,addr.type=bogus", "Parameter 'type' does not accept value 'bogus'")]
    [InlineData("vhost-user-blk,id=e,node-name=n,addr.type=unix,addr.path=/x,num-queues=-1", "Parameter 'num-queues' expects uint16_t")]
    [InlineData("vhost-user-blk,id=e,node-name=n,addr.type=unix,addr.path=/x,num-queues=65536", "Parameter 'num-queues' expects uint16_t")]
    [InlineData("vhost-user-blk,id=e,node-name=n,addr.type=unix,addr.path=/x,foo=1", "Parameter 'foo' is unexpected")]
    public void BadOptionsAreRefusedWithQemusText(string argument, string message) => Assert.Equal(message, Error("export", argument));

    [Fact]
    public void TheQmpArgumentsReadBackTheSame()
    {
        var options = new BlockExportOptions
        {
            Type = BlockExportType.VhostUserBlk,
            Id = "e0",
            NodeName = "disk",
            Writable = true,
            VhostUserBlk = new VhostUserBlkExportOptions { Address = SocketAddressOptions.Unix("/run/d.sock"), LogicalBlockSize = 4096, NumQueues = 2 },
        };
        var json = BlockExportCodec.WriteAdd(options).ToJsonString();
        Assert.Equal(options, Export(json) with { Nbd = options.Nbd });
    }

    [Fact]
    public void TheDetailsReadBackTheSame()
    {
        var info = new BlockExportInfo
        {
            Id = "e0",
            Type = BlockExportType.VhostUserBlk,
            NodeName = "disk",
            ShuttingDown = false,
            Writable = true,
            Clients = 1,
            Details = new VhostUserBlkExportDetails
            {
                Socket = "/run/d.sock",
                FrontEndConnected = true,
                NegotiatedFeatures = 0x1_7000_6244UL,
                NumQueues = 2,
                LogicalBlockSize = 512,
                QueueRequests = [5, 7],
            },
        };
        var json = System.Text.Json.JsonDocument.Parse(BlockExportCodec.WriteInfo(info).ToJsonString()).RootElement;
        var (read, detailed) = BlockExportCodec.ReadInfo(json);
        Assert.True(detailed);
        var details = Assert.IsType<VhostUserBlkExportDetails>(read.Details);
        var expected = (VhostUserBlkExportDetails)info.Details;
        Assert.Equal(expected.QueueRequests, details.QueueRequests);
        Assert.Equal(expected with { QueueRequests = details.QueueRequests }, details);
    }
}
