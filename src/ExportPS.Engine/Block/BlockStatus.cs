namespace ExportPS.Engine.Block;

/// <summary>
/// The status of a run of bytes of a node, through its backing chain.
/// <see cref="Depth"/> is QEMU's allocation depth: 0 = no layer allocates it, 1 = this node, N = the (N-1)th backing node.
/// <see cref="Data"/>: some layer holds data here (NBD's hole bit is its negation); <see cref="Zero"/>: reads as zero.
/// </summary>
public readonly record struct BlockStatus(long Length, bool Data, bool Zero, int Depth);
