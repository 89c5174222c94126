using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp.Codecs;
using Xunit;

namespace ExportPS.Engine.Tests.Qmp;

/// <summary>What a server's codec writes, the client's codec reads back as the same record, member for member.</summary>
public sealed class QmpCodecRoundTripTests
{
    private static JsonElement Parse(JsonNode written) => JsonDocument.Parse(written.ToJsonString()).RootElement.Clone();

    private static void AssertSame<T>(T expected, T actual) =>
        Assert.Equal(JsonSerializer.Serialize(expected), JsonSerializer.Serialize(actual));

    [Fact]
    public void A_block_node_with_children_bitmaps_and_extensions_reads_back_whole()
    {
        var node = new BlockNodeInfo
        {
            NodeName = "top",
            Driver = BlockDriverKind.Memory,
            Size = 1 << 20,
            ReadOnly = true,
            Backing = "base",
            AllocatedBytes = 65536,
            Compression = BlockCompression.Lz4,
            ReadZeroes = true,
            CacheDirect = true,
            NoFlush = true,
            Discard = BlockDiscardMode.Unmap,
            DetectZeroes = BlockDetectZeroes.Unmap,
            ForceShare = true,
            Bitmaps = ["a", "b"],
        };
        DirtyBitmapInfo[] bitmaps =
        [
            new() { NodeName = "top", Name = "a", Granularity = 65536, Count = 3, Enabled = true, Persistent = false, Busy = true },
            new() { NodeName = "top", Name = "b", Granularity = 4096, Count = 0, Enabled = false, Persistent = true, Busy = false },
        ];

        var entry = Parse(BlockNodeCodec.WriteInfo(node, "memory://", bitmaps, backingDepth: 1));

        AssertSame(node, BlockNodeCodec.ReadInfo(entry));
        AssertSame(bitmaps, DirtyBitmapCodec.ReadInfos(entry).ToArray());
    }

    [Fact]
    public void An_nbd_export_reads_back_with_its_details()
    {
        var details = new NbdExportDetails { Name = "disk", Description = "the disk", Bitmaps = ["b0", "base/b1"], AllocationDepth = true };
        var export = new BlockExportInfo
        {
            Id = "e0",
            Type = BlockExportType.Nbd,
            NodeName = "top",
            ShuttingDown = true,
            Writable = true,
            Writethrough = true,
            IoThread = "io0",
            Clients = 2,
            Details = details,
        };

        var (read, detailed) = BlockExportCodec.ReadInfo(Parse(BlockExportCodec.WriteInfo(export)));

        Assert.True(detailed);
        AssertSame(export with { Details = null }, read with { Details = null });
        AssertSame(details, Assert.IsType<NbdExportDetails>(read.Details));
    }

    [Fact]
    public void A_running_nbd_server_reads_back_whole()
    {
        var server = new NbdServerInfo
        {
            Running = true,
            Endpoint = "unix:/run/nbd.sock",
            MaxConnections = 8,
            TlsCreds = "tls0",
            TlsAuthz = "authz0",
            Connections = 2,
            Exports = 1,
            ClientErrors = 5,
            LastClientError = "bad magic",
            RecentClientErrors =
            [
                new NbdClientError { Time = new DateTime(2026, 12, 7, 5, 10, 11, 123, DateTimeKind.Utc), Client = "127.0.0.1:40000", Message = "bad option magic" },
                new NbdClientError { Time = new DateTime(2026, 12, 7, 5, 10, 12, DateTimeKind.Utc), Client = "unix socket", Message = "bad magic" },
            ],
        };

        AssertSame(server, NbdServerCodec.ReadInfo(Parse(NbdServerCodec.WriteInfo(server))));
    }

    [Fact]
    public void Objects_read_back_whole()
    {
        var thread = new IoThreadInfo { Id = "io0", ThreadId = 42, Users = 1, PollMaxNs = 32768, PollGrow = 2, PollShrink = 3 };
        var creds = new TlsCredsInfo
        {
            Id = "tls0",
            Type = TlsCredsType.X509,
            Endpoint = TlsCredsEndpoint.Server,
            Dir = "/pki",
            VerifyPeer = true,
            Subject = "CN=server",
            Issuer = "CN=ca",
            Thumbprint = "AB12",
            NotAfter = new DateTime(2030, 1, 2, 3, 4, 5, DateTimeKind.Utc),
            CaSubjects = ["CN=ca"],
            InUse = true,
        };
        var authz = new AuthzInfo
        {
            Id = "authz0",
            Type = AuthzType.List,
            Policy = AuthzPolicy.Allow,
            Rules = [new AuthzListRule { Match = "CN=*", Policy = AuthzPolicy.Deny, Format = AuthzListFormat.Glob }],
        };

        AssertSame(thread, IoThreadCodec.ReadInfo(Parse(IoThreadCodec.WriteInfo(thread))));
        AssertSame(creds, TlsCredsCodec.ReadInfo(Parse(TlsCredsCodec.WriteInfo(creds))));
        AssertSame(authz, AuthzCodec.ReadInfo(Parse(AuthzCodec.WriteInfo(authz))));
    }
}
