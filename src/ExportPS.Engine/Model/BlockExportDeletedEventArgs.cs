namespace ExportPS.Engine.Model;

/// <summary>BLOCK_EXPORT_DELETED: the export is gone and its id may be used again.</summary>
public sealed class BlockExportDeletedEventArgs(string id, DateTime timestampUtc) : EventArgs
{
    public string Id { get; } = id;

    public DateTime TimestampUtc { get; } = timestampUtc;
}
