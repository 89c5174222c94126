using ExportPS.Engine.Net;

namespace ExportPS.Engine.Model;

/// <summary>One capture (filter-dump) as the query reports it, plain-valued so it survives remoting.</summary>
public sealed record NetCaptureInfo
{
    public required string Id { get; init; }

    public required string Netdev { get; init; }

    public required string Path { get; init; }

    public int MaxLength { get; init; }

    public NetCaptureDirection Queue { get; init; }

    public bool Enabled { get; init; }

    /// <summary>Frames written to the file so far.</summary>
    public long Frames { get; init; }

    /// <summary>Why the capture stopped writing (a write error), or null while it writes.</summary>
    public string? Failure { get; init; }
}
