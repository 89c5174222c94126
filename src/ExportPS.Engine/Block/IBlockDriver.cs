namespace ExportPS.Engine.Block;

/// <summary>
/// One block driver instance (the storage behind a node). <see cref="BlockNode"/> validates every request before it
/// gets here: offsets and lengths are in range and non-negative, writes never reach a read-only driver.
/// Drivers complete synchronously where they can (memory, page cache); a ValueTask costs nothing then.
/// </summary>
public interface IBlockDriver : IDisposable
{
    long Size { get; }

    /// <summary>
    /// The unit the driver allocates in: writing any byte of one makes all of it allocated. A node with a backing node
    /// copies the rest of such a unit from the backing chain first, so the backing data stays visible (copy-on-write).
    /// The default, one byte, suits drivers that allocate exactly what is written (or everything up front).
    /// </summary>
    int AllocationGranularity => 1;

    /// <summary>
    /// Whether zeroes written without <see cref="WriteZeroesFlags.MayUnmap"/> report as allocated afterwards. A file's
    /// zeroed range reports as a hole (SEEK_DATA skips unwritten extents), so over a backing node it would show the
    /// backing data again; the node then writes real zeroes instead.
    /// </summary>
    bool ZeroesStayAllocated => true;

    /// <summary>
    /// The storage refuses writes whatever the node's options say (an NBD export its server serves read-only): the node
    /// is read-only then.
    /// </summary>
    bool ReadOnly => false;

    /// <summary>
    /// A read has written all of its destination by the time <see cref="ReadAsync"/> returns (memory, or a blocking
    /// file read): a caller may lend such a driver memory for the length of the call alone. False (the default) for a
    /// driver that may still write the destination later (a remote server, a delay).
    /// </summary>
    bool ReadsCompleteInline => false;

    /// <summary>Bytes of storage the driver holds for data (memory used, file blocks allocated).</summary>
    long AllocatedBytes { get; }

    ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken);

    ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, bool forceUnitAccess, CancellationToken cancellationToken);

    ValueTask FlushAsync(CancellationToken cancellationToken);

    /// <summary>Deallocates the range if the driver can (reads may then return anything this layer defines, usually zeroes).</summary>
    ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken);

    ValueTask WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken);

    /// <summary>Status of the run that starts at <paramref name="offset"/>, at most <paramref name="length"/> (&gt; 0) bytes long.</summary>
    ValueTask<BlockExtent> GetBlockStatusAsync(long offset, long length, CancellationToken cancellationToken);

    /// <summary>
    /// NBD_CMD_CACHE: brings the range nearer its readers. A driver that reads from memory or the page cache has nothing
    /// to do; a remote one passes the request on.
    /// </summary>
    ValueTask PrefetchAsync(long offset, long length, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Changes the size (a growable FUSE export's truncate); a driver that cannot resize refuses.</summary>
    ValueTask TruncateAsync(long size, CancellationToken cancellationToken) =>
        throw new BlockIoException(BlockError.NotSupported, "The block driver cannot change the image size");
}
