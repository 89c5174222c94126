namespace ExportPS.Engine.Block;

/// <summary>
/// The status of a run of bytes starting at the queried offset: <see cref="Length"/> bytes that share it.
/// <see cref="Allocated"/>: this layer decides the content (data or explicit zeroes) rather than falling through to a backing node.
/// <see cref="Zero"/>: the bytes read as zero.
/// </summary>
public readonly record struct BlockExtent(long Length, bool Allocated, bool Zero);
