using ExportPS.Engine.Net;

namespace ExportPS.Engine.Model;

/// <summary>
/// A capture of a netdev's frames to a pcap file: QEMU's filter-dump object (object-add qom-type=filter-dump,
/// -object filter-dump,...). Its id shares the one namespace of user-creatable objects.
/// </summary>
public sealed record NetCaptureOptions
{
    public const string TypeName = "filter-dump";

    public required string Id { get; init; }

    /// <summary>The netdev whose frames are captured (QEMU's netdev).</summary>
    public required string Netdev { get; init; }

    /// <summary>The pcap file, created or truncated (QEMU's file).</summary>
    public required string Path { get; init; }

    /// <summary>The bytes kept of each frame (QEMU's maxlen, at least 1).</summary>
    public int MaxLength { get; init; } = PcapWriter.DefaultMaxLength;

    /// <summary>Which directions are captured (QEMU's queue).</summary>
    public NetCaptureDirection Queue { get; init; } = NetCaptureDirection.All;

    /// <summary>QEMU's status: an "off" capture writes its header and no frames.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>
    /// QEMU's position among the netdev's filters: "head", "tail" or "id=&lt;id&gt;" of another capture of the netdev
    /// (null: tail). Captures leave frames as they are, so every capture sees the same frames wherever it is placed.
    /// </summary>
    public string? Position { get; init; }

    /// <summary>QEMU's insert: behind or before the filter that <see cref="Position"/> names.</summary>
    public NetCaptureInsert Insert { get; init; } = NetCaptureInsert.Behind;
}

/// <summary>Where a filter goes relative to the one its position names (QEMU's NetFilterInsert).</summary>
public enum NetCaptureInsert
{
    Behind,
    Before,
}
