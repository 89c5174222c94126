using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>iothread: object-add's arguments, and an entry of query-iothreads ("x-users" is ExportPS's).</summary>
internal static class IoThreadCodec
{
    private const string Id = "id";
    private const string PollMaxNs = "poll-max-ns";
    private const string PollGrow = "poll-grow";
    private const string PollShrink = "poll-shrink";

    public static JsonObject WriteAdd(IoThreadOptions options)
    {
        var args = new JsonObject { ["qom-type"] = "iothread", [Id] = options.Id };
        QmpMembers.SetIf(args, PollMaxNs, options.PollMaxNs);
        QmpMembers.SetIf(args, PollGrow, options.PollGrow);
        QmpMembers.SetIf(args, PollShrink, options.PollShrink);
        return args;
    }

    public static JsonObject WriteInfo(IoThreadInfo thread) => new()
    {
        [Id] = thread.Id,
        ["thread-id"] = thread.ThreadId,
        [PollMaxNs] = thread.PollMaxNs,
        [PollGrow] = thread.PollGrow,
        [PollShrink] = thread.PollShrink,
        ["aio-max-batch"] = 0,
        ["x-users"] = thread.Users,
    };

    public static IoThreadInfo ReadInfo(JsonElement t) => new()
    {
        Id = t.GetProperty(Id).GetString()!,
        ThreadId = t.GetProperty("thread-id").GetInt32(),
        Users = t.TryGetProperty("x-users", out var users) ? users.GetInt32() : 0,
        PollMaxNs = t.TryGetProperty(PollMaxNs, out var max) ? max.GetInt64() : 0,
        PollGrow = t.TryGetProperty(PollGrow, out var grow) ? grow.GetInt64() : 0,
        PollShrink = t.TryGetProperty(PollShrink, out var shrink) ? shrink.GetInt64() : 0,
    };
}
