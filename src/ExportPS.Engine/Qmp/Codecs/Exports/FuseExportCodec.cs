using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>
/// The fuse branch of block-export-add's arguments, and a FUSE export's details in its query-block-exports entry
/// (ExportPS's "x-" members).
/// </summary>
internal static class FuseExportCodec
{
    private const string MountPoint = "mountpoint";
    private const string Growable = "growable";
    private const string AllowOther = "allow-other";

    /// <summary>BlockExportOptionsFuse, after the common members (block-export-add, --export).</summary>
    public static FuseExportOptions ReadOptions(OptionReader reader) => new()
    {
        MountPoint = reader.RequireString(MountPoint),
        Growable = reader.Bool(Growable) ?? false,
        AllowOther = reader.Enum<FuseExportAllowOther>(AllowOther) ?? FuseExportAllowOther.Auto,
    };

    public static void WriteOptions(JsonObject args, FuseExportOptions options)
    {
        args[MountPoint] = options.MountPoint;
        QmpMembers.SetIf(args, Growable, options.Growable);
        args[AllowOther] = QapiName.Of(options.AllowOther);
    }

    public static void WriteDetails(JsonObject info, FuseExportDetails details)
    {
        info["x-mountpoint"] = details.MountPoint;
        info["x-growable"] = details.Growable;
        info["x-allow-other"] = QapiName.Of(details.AllowOther);
        info["x-others-allowed"] = details.OthersAllowed;
        info["x-open-handles"] = details.OpenHandles;
        info["x-requests"] = details.Requests;
    }

    public static FuseExportDetails ReadDetails(JsonElement e) => new()
    {
        MountPoint = QmpMembers.String(e, "x-mountpoint") ?? string.Empty,
        Growable = QmpMembers.Bool(e, "x-growable"),
        AllowOther = QmpMembers.String(e, "x-allow-other") is { } allowOther ? QapiName.Parse<FuseExportAllowOther>(allowOther) : FuseExportAllowOther.Auto,
        OthersAllowed = QmpMembers.Bool(e, "x-others-allowed"),
        OpenHandles = e.TryGetProperty("x-open-handles", out var handles) ? handles.GetInt32() : 0,
        Requests = e.TryGetProperty("x-requests", out var requests) ? requests.GetInt64() : 0,
    };

    /// <summary>What a server that reports no details (QEMU) is known to have, from the options it was given.</summary>
    public static FuseExportDetails FromOptions(FuseExportOptions options) => new()
    {
        MountPoint = options.MountPoint,
        Growable = options.Growable,
        AllowOther = options.AllowOther,
        OthersAllowed = options.AllowOther == FuseExportAllowOther.On,
    };
}
