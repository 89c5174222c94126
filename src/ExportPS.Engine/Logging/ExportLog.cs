using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Logging;

/// <summary>The block exports' lifecycle (ids 2000-2099, names export_*): added, removal asked for, deleted.</summary>
internal static partial class ExportLog
{
    public const string Category = "ExportPS.Exports";

    [LoggerMessage(2000, LogLevel.Information, "Block export '{Id}' added ({Type} on node '{NodeName}', writable: {Writable})", EventName = "export_added")]
    public static partial void Added(this ILogger log, string id, string type, string nodeName, bool writable);

    [LoggerMessage(2001, LogLevel.Information, "Block export '{Id}' is shutting down ({Mode} removal, {Clients} clients)", EventName = "export_shutting_down")]
    public static partial void ShuttingDown(this ILogger log, string id, string mode, int clients);

    [LoggerMessage(2002, LogLevel.Information, "Block export '{Id}' deleted", EventName = "export_deleted")]
    public static partial void Deleted(this ILogger log, string id);

    [LoggerMessage(2003, LogLevel.Information, "Block export '{Id}' removal refused: {Reason}", EventName = "export_removal_refused")]
    public static partial void RemovalRefused(this ILogger log, string id, string reason);
}
