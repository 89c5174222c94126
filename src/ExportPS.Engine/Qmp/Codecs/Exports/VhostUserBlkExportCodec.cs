using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>
/// The vhost-user-blk branch of block-export-add's arguments, and a vhost-user-blk export's details in its
/// query-block-exports entry (ExportPS's "x-" members).
/// </summary>
internal static class VhostUserBlkExportCodec
{
    private const string Addr = "addr";
    private const string LogicalBlockSize = "logical-block-size";
    private const string NumQueues = "num-queues";

    /// <summary>BlockExportOptionsVhostUserBlk, after the common members (block-export-add, --export).</summary>
    public static VhostUserBlkExportOptions ReadOptions(OptionReader reader) => new()
    {
        Address = OptionReader.ReadAll(reader.RequireObject(Addr), SocketAddressReader.Read),
        LogicalBlockSize = reader.Size(LogicalBlockSize) ?? VhostUserBlkExportOptions.MinLogicalBlockSize,
        NumQueues = reader.UInt16(NumQueues) ?? 1,
    };

    public static void WriteOptions(JsonObject args, VhostUserBlkExportOptions options)
    {
        args[Addr] = WriteAddress(options.Address);
        args[LogicalBlockSize] = options.LogicalBlockSize;
        args[NumQueues] = options.NumQueues;
    }

    /// <summary>A flat SocketAddress.</summary>
    private static JsonObject WriteAddress(SocketAddressOptions address) => address.Kind switch
    {
        SocketAddressKind.Unix => new JsonObject { ["type"] = "unix", ["path"] = address.Path },
        SocketAddressKind.Fd => new JsonObject { ["type"] = "fd", ["str"] = address.Fd },
        _ => new JsonObject { ["type"] = "inet", ["host"] = address.Host, ["port"] = address.Port.ToString(CultureInfo.InvariantCulture) },
    };

    public static void WriteDetails(JsonObject info, VhostUserBlkExportDetails details)
    {
        info["x-socket"] = details.Socket;
        info["x-front-end-connected"] = details.FrontEndConnected;
        info["x-features"] = details.NegotiatedFeatures;
        info["x-num-queues"] = details.NumQueues;
        info["x-logical-block-size"] = details.LogicalBlockSize;
        info["x-queue-requests"] = new JsonArray(details.QueueRequests.Select(n => (JsonNode)JsonValue.Create(n)).ToArray());
    }

    public static VhostUserBlkExportDetails ReadDetails(JsonElement e) => new()
    {
        Socket = QmpMembers.String(e, "x-socket") ?? string.Empty,
        FrontEndConnected = QmpMembers.Bool(e, "x-front-end-connected"),
        NegotiatedFeatures = e.TryGetProperty("x-features", out var features) ? features.GetUInt64() : 0,
        NumQueues = e.TryGetProperty("x-num-queues", out var queues) ? queues.GetInt32() : 0,
        LogicalBlockSize = e.TryGetProperty("x-logical-block-size", out var size) ? size.GetInt64() : 0,
        QueueRequests = e.TryGetProperty("x-queue-requests", out var requests) ? [.. requests.EnumerateArray().Select(r => r.GetInt64())] : [],
    };

    /// <summary>What a server that reports no details (QEMU) is known to have, from the options it was given.</summary>
    public static VhostUserBlkExportDetails FromOptions(VhostUserBlkExportOptions options) => new()
    {
        Socket = options.Address.Kind == SocketAddressKind.Unix ? options.Address.Path! : options.Address.ToString(),
        NumQueues = options.NumQueues,
        LogicalBlockSize = options.LogicalBlockSize,
        QueueRequests = new long[options.NumQueues],
    };
}
