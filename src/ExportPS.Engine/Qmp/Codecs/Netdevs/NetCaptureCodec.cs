using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;
using ExportPS.Engine.Net;
using ExportPS.Engine.Qapi;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>
/// filter-dump: object-add's arguments (QEMU's FilterDumpProperties and NetfilterProperties, read the same from QMP and
/// from --object), and an entry of x-query-net-captures, ExportPS's query (QEMU lists filters only as QOM objects).
/// </summary>
internal static class NetCaptureCodec
{
    public const string QueryCommand = "x-query-net-captures";

    private const string Netdev = "netdev";
    private const string File = "file";
    private const string MaxLength = "maxlen";
    private const string Queue = "queue";
    private const string Status = "status";
    private const string Position = "position";
    private const string Insert = "insert";

    public static JsonObject WriteAdd(NetCaptureOptions options)
    {
        var args = new JsonObject
        {
            ["qom-type"] = NetCaptureOptions.TypeName,
            ["id"] = options.Id,
            [Netdev] = options.Netdev,
            [File] = options.Path,
            [MaxLength] = options.MaxLength,
            [Queue] = QapiName.Of(options.Queue),
            [Status] = StatusText(options.Enabled),
            [Insert] = QapiName.Of(options.Insert),
        };
        QmpMembers.SetIf(args, Position, options.Position);
        return args;
    }

    /// <summary>The members after qom-type and id; the setters' checks come first, the mandatory members after, as in QEMU.</summary>
    public static NetCaptureOptions ReadAdd(OptionReader reader, string id)
    {
        uint? maxLength = reader.UInt32(MaxLength);
        if (maxLength > int.MaxValue)
            throw OptionReader.Error($"Property 'filter-dump.maxlen' doesn't take value '{maxLength}'");
        var queue = reader.Enum<NetCaptureDirection>(Queue) ?? NetCaptureDirection.All;
        bool enabled = reader.String(Status) switch
        {
            null or "on" => true,
            "off" => false,
            _ => throw OptionReader.Error("Invalid value for netfilter status, should be 'on' or 'off'"),
        };
        var insert = reader.Enum<NetCaptureInsert>(Insert) ?? NetCaptureInsert.Behind;
        string? position = reader.String(Position);
        return new NetCaptureOptions
        {
            Id = id,
            Netdev = reader.RequireString(Netdev),
            Path = reader.RequireString(File),
            MaxLength = (int)(maxLength ?? PcapWriter.DefaultMaxLength),
            Queue = queue,
            Enabled = enabled,
            Position = position,
            Insert = insert,
        };
    }

    public static JsonObject WriteInfo(NetCaptureInfo info)
    {
        var entry = new JsonObject
        {
            ["id"] = info.Id,
            [Netdev] = info.Netdev,
            [File] = info.Path,
            [MaxLength] = info.MaxLength,
            [Queue] = QapiName.Of(info.Queue),
            [Status] = StatusText(info.Enabled),
            ["frames"] = info.Frames,
        };
        QmpMembers.SetIf(entry, "failure", info.Failure);
        return entry;
    }

    public static NetCaptureInfo ReadInfo(JsonElement entry) => new()
    {
        Id = entry.GetProperty("id").GetString()!,
        Netdev = entry.GetProperty(Netdev).GetString()!,
        Path = entry.GetProperty(File).GetString()!,
        MaxLength = entry.GetProperty(MaxLength).GetInt32(),
        Queue = QapiName.Parse<NetCaptureDirection>(entry.GetProperty(Queue).GetString()!),
        Enabled = QmpMembers.String(entry, Status) == "on",
        Frames = entry.TryGetProperty("frames", out var frames) ? frames.GetInt64() : 0,
        Failure = QmpMembers.String(entry, "failure"),
    };

    private static string StatusText(bool enabled) => enabled ? "on" : "off";
}
