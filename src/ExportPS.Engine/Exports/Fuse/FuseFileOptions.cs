namespace ExportPS.Engine.Exports.Fuse;

/// <summary>What a <see cref="FuseFile"/> needs of its export: access, growth, I/O policy and the owner it shows.</summary>
internal sealed record FuseFileOptions
{
    public bool Writable { get; init; }

    /// <summary>Writes past the end, truncate and fallocate may change the node's size.</summary>
    public bool Growable { get; init; }

    /// <summary>The mount lets other users in: the file shows read permission for them.</summary>
    public bool AllowOther { get; init; }

    public ExportIoPolicy IoPolicy { get; init; }

    public uint Uid { get; init; }

    public uint Gid { get; init; }
}
