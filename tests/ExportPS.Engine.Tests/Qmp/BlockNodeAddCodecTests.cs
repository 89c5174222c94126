using System.Text.Json;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;
using ExportPS.Engine.Qmp.Codecs;
using Xunit;

namespace ExportPS.Engine.Tests.Qmp;

/// <summary>The blockdev-add arguments the QMP client writes are read by the server as the options the client was given.</summary>
public sealed class BlockNodeAddCodecTests
{
    private static readonly BlockNodeOptions[] Cases =
    [
        new() { NodeName = "plain", Driver = BlockDriverKind.Null, Size = 4096 },
        new()
        {
            NodeName = "all", Driver = BlockDriverKind.File, Path = "/img", ReadOnly = true, CacheDirect = true, NoFlush = true,
            Discard = BlockDiscardMode.Unmap, DetectZeroes = BlockDetectZeroes.Unmap, ForceShare = true,
        },
        new() { NodeName = "flush", Driver = BlockDriverKind.Memory, Size = 4096, NoFlush = true, DetectZeroes = BlockDetectZeroes.On },
        new() { NodeName = "fmt", Driver = BlockDriverKind.Raw, File = "all", Discard = BlockDiscardMode.Unmap },
        new() { NodeName = "remote", Driver = BlockDriverKind.Nbd, Server = SocketAddressOptions.Unix("/run/nbd.sock") },
        new()
        {
            NodeName = "remote-tls", Driver = BlockDriverKind.Nbd, Server = SocketAddressOptions.Inet("images.example.com", 10810), Export = "golden",
            TlsCreds = "tlsc", TlsHostname = "images", ReconnectDelay = 30, OpenTimeout = 5, XDirtyBitmap = "qemu:dirty-bitmap:b0", XMultiConn = 4, ReadOnly = true,
        },
    ];

    [Fact]
    public void Every_common_option_survives_the_trip_from_client_to_server()
    {
        foreach (var options in Cases)
        {
            using var document = JsonDocument.Parse(BlockNodeCodec.WriteAdd(options).ToJsonString());
            Assert.Equal(options, BlockNodeOptionsReader.Read(new OptionReader(OptionTree.FromJson(document.RootElement))));
        }
    }
}
