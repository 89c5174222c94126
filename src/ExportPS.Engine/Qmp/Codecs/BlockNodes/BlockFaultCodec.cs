using System.Text.Json;
using System.Text.Json.Nodes;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>
/// ExportPS's x-block-fault-set, x-block-fault-clear and x-query-block-faults (the rules of x-fault-inject nodes).
/// Errno values are the C names in lower case (eio, enospc) or none; the delay is in milliseconds.
/// </summary>
internal static class BlockFaultCodec
{
    public const string SetCommand = "x-block-fault-set";
    public const string ClearCommand = "x-block-fault-clear";
    public const string QueryCommand = "x-query-block-faults";

    private const string NodeName = "node-name";
    private const string Operation = "operation";
    private const string Errno = "errno";
    private const string Offset = "offset";
    private const string Length = "length";
    private const string Probability = "probability";
    private const string Count = "count";
    private const string DelayMs = "delay-ms";
    private const string ShortBytes = "short-bytes";
    private const string Seed = "seed";

    public static JsonObject WriteSet(BlockFaultOptions options)
    {
        var args = new JsonObject
        {
            [NodeName] = options.NodeName,
            [Operation] = QapiName.Of(options.Operation),
            [Errno] = NameOf(options.Errno),
            [Offset] = options.Offset,
            [Probability] = options.Probability,
            [DelayMs] = (long)options.Delay.TotalMilliseconds,
        };
        QmpMembers.SetIf(args, Length, options.Length);
        QmpMembers.SetIf(args, Count, options.Count);
        QmpMembers.SetIf(args, ShortBytes, options.ShortBytes);
        QmpMembers.SetIf(args, Seed, options.Seed);
        return args;
    }

    public static BlockFaultOptions ReadSet(OptionReader args)
    {
        var options = new BlockFaultOptions
        {
            NodeName = args.RequireString(NodeName),
            Operation = args.RequireEnum<BlockFaultOperation>(Operation),
            Errno = args.String(Errno) is { } errno ? ParseErrno(errno) ?? throw args.NotAccepted(Errno, errno) : BlockFaultErrno.EIO,
            Offset = args.Int64(Offset) ?? 0,
            Length = args.Int64(Length),
            Probability = args.Double(Probability) ?? 1.0,
            Count = args.Int64(Count),
            Delay = TimeSpan.FromMilliseconds(args.Int64(DelayMs) ?? 0),
            ShortBytes = args.Int64(ShortBytes),
            Seed = args.Int64(Seed) is { } seed ? checked((int)seed) : null,
        };
        args.RejectUnexpected();
        return options;
    }

    public static JsonObject WriteClear(string nodeName, BlockFaultOperation? operation)
    {
        var args = new JsonObject { [NodeName] = nodeName };
        QmpMembers.SetIf(args, Operation, operation is { } one ? QapiName.Of(one) : null);
        return args;
    }

    public static (string NodeName, BlockFaultOperation? Operation) ReadClear(OptionReader args)
    {
        var target = (args.RequireString(NodeName), args.Enum<BlockFaultOperation>(Operation));
        args.RejectUnexpected();
        return target;
    }

    public static JsonObject WriteInfo(BlockFaultInfo fault)
    {
        var info = new JsonObject
        {
            [NodeName] = fault.NodeName,
            [Operation] = QapiName.Of(fault.Operation),
            [Errno] = NameOf(fault.Errno),
            [Offset] = fault.Offset,
            [Probability] = fault.Probability,
            [DelayMs] = fault.DelayMilliseconds,
            ["hits"] = fault.Hits,
        };
        QmpMembers.SetIf(info, Length, fault.Length);
        QmpMembers.SetIf(info, "remaining-count", fault.RemainingCount);
        QmpMembers.SetIf(info, ShortBytes, fault.ShortBytes);
        return info;
    }

    public static BlockFaultInfo ReadInfo(JsonElement fault) => new()
    {
        NodeName = fault.GetProperty(NodeName).GetString()!,
        Operation = QapiName.Parse<BlockFaultOperation>(fault.GetProperty(Operation).GetString()!),
        Errno = ParseErrno(fault.GetProperty(Errno).GetString()!) ?? BlockFaultErrno.None,
        Offset = fault.GetProperty(Offset).GetInt64(),
        Length = OptionalInt64(fault, Length),
        Probability = fault.GetProperty(Probability).GetDouble(),
        RemainingCount = OptionalInt64(fault, "remaining-count"),
        DelayMilliseconds = fault.GetProperty(DelayMs).GetInt64(),
        ShortBytes = OptionalInt64(fault, ShortBytes),
        Hits = fault.GetProperty("hits").GetInt64(),
    };

    private static string NameOf(BlockFaultErrno errno) => errno.ToString().ToLowerInvariant();

    private static BlockFaultErrno? ParseErrno(string text) =>
        Enum.GetValues<BlockFaultErrno>().Select(e => (BlockFaultErrno?)e).FirstOrDefault(e => NameOf(e!.Value) == text);

    private static long? OptionalInt64(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : null;
}
