using System.Text.Json.Nodes;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qapi;

namespace ExportPS.Engine.Qmp.Codecs;

/// <summary>The vduse-blk branch of block-export-add's arguments (ExportPS checks it, then refuses the export).</summary>
internal static class VduseBlkExportCodec
{
    private const string Name = "name";
    private const string NumQueues = "num-queues";
    private const string QueueSize = "queue-size";
    private const string LogicalBlockSize = "logical-block-size";
    private const string Serial = "serial";

    public static VduseBlkExportOptions ReadOptions(OptionReader reader) => new()
    {
        Name = reader.RequireString(Name),
        NumQueues = reader.UInt16(NumQueues) ?? 1,
        QueueSize = reader.UInt16(QueueSize) ?? 256,
        LogicalBlockSize = reader.Size(LogicalBlockSize) ?? 512,
        Serial = reader.String(Serial) ?? string.Empty,
    };

    public static void WriteOptions(JsonObject args, VduseBlkExportOptions options)
    {
        args[Name] = options.Name;
        args[NumQueues] = options.NumQueues;
        args[QueueSize] = options.QueueSize;
        args[LogicalBlockSize] = options.LogicalBlockSize;
        QmpMembers.SetIf(args, Serial, options.Serial.Length == 0 ? null : options.Serial);
    }
}
