using System.Runtime.CompilerServices;
using ExportPS.Engine.Block;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Exports;

/// <summary>
/// How an export's requests change its node, whatever the protocol (NBD, vhost-user-blk, FUSE): a request the client
/// marks force-unit-access, or any request on a writethrough export, is durable before it is acknowledged. A write
/// becomes one FUA write (no second flush); trim and write-zeroes are followed by a flush.
/// </summary>
internal readonly struct ExportIoPolicy(bool writethrough)
{
    public static ExportIoPolicy For(BlockExportOptions options) => new(options.Writethrough);

    public bool Writethrough => writethrough;

    public ValueTask WriteAsync(BlockNode node, long offset, ReadOnlyMemory<byte> data, bool fua) =>
        node.WriteAsync(offset, data, fua || writethrough);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask DiscardAsync(BlockNode node, long offset, long length, bool fua)
    {
        await node.DiscardAsync(offset, length);
        await FlushIfDurableAsync(node, fua);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask WriteZeroesAsync(BlockNode node, long offset, long length, WriteZeroesFlags flags, bool fua)
    {
        await node.WriteZeroesAsync(offset, length, flags);
        await FlushIfDurableAsync(node, fua);
    }

    private ValueTask FlushIfDurableAsync(BlockNode node, bool fua) =>
        fua || writethrough ? node.FlushAsync() : ValueTask.CompletedTask;
}
