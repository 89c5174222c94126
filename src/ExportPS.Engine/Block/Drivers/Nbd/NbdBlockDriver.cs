using System.Buffers;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Tls;
using static ExportPS.Engine.Exports.Nbd.NbdProtocol;

namespace ExportPS.Engine.Block.Drivers.Nbd;

/// <summary>
/// QEMU's nbd protocol driver: the node's storage is an export of a remote NBD server. Requests are split to the
/// server's maximum size and sent concurrently on one pipelined connection; requests the server's minimum block size
/// does not divide are widened (reads) or read-modify-written (writes). FUA, trim, write-zeroes (with NO_HOLE and
/// FAST_ZERO) and flush pass through when the server offers them and are emulated or dropped as QEMU does when it does
/// not; block status comes from the negotiated metadata context. A request whose connection is lost is sent again on
/// the next one (<see cref="NbdClientLink"/>). When the server advertises multi-conn (its connections see each other's
/// writes, and a flush on one covers writes completed on all), x-multi-conn links are opened and requests take turns.
/// </summary>
internal sealed class NbdBlockDriver : IBlockDriver
{
    private readonly NbdClientLink[] _links;
    private readonly TlsCredentials? _tls;
    private uint _nextLink;

    /// <summary>Serializes read-modify-write of partial blocks, so two of them never write back each other's old bytes.</summary>
    private readonly SemaphoreSlim _partialBlocks = new(1, 1);

    private NbdBlockDriver(NbdClientLink[] links, TlsCredentials? tls)
    {
        _links = links;
        _tls = tls;
        var export = links[0].Export;
        Alignment = export.MinimumBlock;
        MaxData = (int)Math.Min(export.MaximumBlock, int.MaxValue & ~(Alignment - 1));
        MaxEffect = int.MaxValue & ~(Alignment - 1);
    }

    /// <summary>
    /// Connects (see <see cref="NbdClientLink.Open"/>), then opens the further multi-conn links; the credentials count
    /// the node as a user until it closes.
    /// </summary>
    public static NbdBlockDriver Open(BlockNodeOptions options, TlsCredentials? tls)
    {
        var settings = NbdClientSettings.From(options, tls);
        var links = new List<NbdClientLink> { NbdClientLink.Open(settings, options.NodeName) };
        try
        {
            int count = links[0].Export.Has(FlagCanMultiConn) ? (int)options.XMultiConn : 1;
            while (links.Count < count)
            {
                links.Add(NbdClientLink.Open(settings, options.NodeName));
                if (links[^1].Export.DifferenceFrom(links[0].Export) is { } difference)
                {
                    throw new EngineException(ErrorIds.BlockNodeOpenFailed, EngineErrorCategory.IoError,
                        $"Connection {links.Count} to '{settings.Server}' differs from the first: {difference}") { Target = options.NodeName };
                }
            }
        }
        catch
        {
            links.ForEach(link => link.Dispose());
            throw;
        }

        tls?.AddUser();
        return new NbdBlockDriver([.. links], tls);
    }

    /// <summary>Connections open (or being made again) to the server.</summary>
    public int Connections => _links.Length;

    /// <summary>The least healthy link's state.</summary>
    public NbdConnectionState State => _links.Max(link => link.State);

    /// <summary>Connections made again after a loss, on all links.</summary>
    public int Reconnects => _links.Sum(link => link.Reconnects);

    /// <summary>Why a connection last ended or an attempt failed, on the first link that has a reason.</summary>
    public string? LastError => _links.Select(link => link.LastError).FirstOrDefault(error => error is not null);

    /// <summary>The server's minimum block size: offsets and lengths sent are multiples of it.</summary>
    private uint Alignment { get; }

    /// <summary>Largest READ or WRITE sent (the server's maximum payload).</summary>
    private int MaxData { get; }

    /// <summary>Largest TRIM, WRITE_ZEROES or BLOCK_STATUS range sent.</summary>
    private long MaxEffect { get; }

    private NbdRemoteExport Export => _links[0].Export;

    public long Size => Export.Size;

    public bool ReadOnly => Export.ReadOnly;

    /// <summary>The server's preferred block: a remote image that allocates at all allocates about that much.</summary>
    public int AllocationGranularity => (int)Math.Min(Export.PreferredBlock, 1 << 20);

    /// <summary>Whether the server keeps zeroes written with NO_HOLE allocated is the server's business: assume it does not.</summary>
    public bool ZeroesStayAllocated => false;

    /// <summary>The remote image's storage is not this host's.</summary>
    public long AllocatedBytes => 0;

    public async ValueTask ReadAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (IsAligned(offset, destination.Length))
        {
            await ReadAlignedAsync(offset, destination, cancellationToken).ConfigureAwait(false);
            return;
        }

        long start = AlignDown(offset);
        int length = (int)(AlignUp(offset + destination.Length) - start);
        var bounce = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            await ReadAlignedAsync(start, bounce.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            bounce.AsSpan((int)(offset - start), destination.Length).CopyTo(destination.Span);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bounce);
        }
    }

    private Task ReadAlignedAsync(long offset, Memory<byte> destination, CancellationToken cancellationToken) =>
        Split(offset, destination.Length, MaxData, (at, length) =>
            RunAsync(CmdRead, 0, at, length, destination.Slice((int)(at - offset), (int)length), default, cancellationToken));

    public async ValueTask WriteAsync(long offset, ReadOnlyMemory<byte> source, bool forceUnitAccess, CancellationToken cancellationToken)
    {
        if (IsAligned(offset, source.Length))
        {
            await WriteAlignedAsync(offset, source, forceUnitAccess, cancellationToken).ConfigureAwait(false);
            return;
        }

        long start = AlignDown(offset);
        int length = (int)(AlignUp(offset + source.Length) - start);
        var block = ArrayPool<byte>.Shared.Rent(length);
        await _partialBlocks.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await ReadAlignedAsync(start, block.AsMemory(0, length), cancellationToken).ConfigureAwait(false);
            source.Span.CopyTo(block.AsSpan((int)(offset - start)));
            await WriteAlignedAsync(start, block.AsMemory(0, length), forceUnitAccess, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _partialBlocks.Release();
            ArrayPool<byte>.Shared.Return(block);
        }
    }

    private async Task WriteAlignedAsync(long offset, ReadOnlyMemory<byte> source, bool forceUnitAccess, CancellationToken cancellationToken)
    {
        bool fua = forceUnitAccess && Export.Has(FlagSendFua);
        await Split(offset, source.Length, MaxData, (at, length) =>
            RunAsync(CmdWrite, fua ? CmdFlagFua : (ushort)0, at, length, default, source.Slice((int)(at - offset), (int)length), cancellationToken)).ConfigureAwait(false);
        if (forceUnitAccess && !fua)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A server without NBD_CMD_FLUSH has nothing volatile to flush.</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken) =>
        Export.Has(FlagSendFlush) ? new ValueTask(RunAsync(CmdFlush, 0, 0, 0, default, default, cancellationToken)) : ValueTask.CompletedTask;

    /// <summary>NBD_CMD_CACHE is passed on when the server takes it; otherwise there is nothing to ask for.</summary>
    public ValueTask PrefetchAsync(long offset, long length, CancellationToken cancellationToken) =>
        Export.Has(FlagSendCache)
            ? new ValueTask(Split(offset, length, MaxEffect, (at, part) => RunAsync(CmdCache, 0, at, part, default, default, cancellationToken)))
            : ValueTask.CompletedTask;

    /// <summary>Trim is advisory: without server support, or for the partial blocks at the ends, nothing happens.</summary>
    public ValueTask DiscardAsync(long offset, long length, CancellationToken cancellationToken)
    {
        long start = AlignUp(offset);
        long end = AlignDown(offset + length);
        return Export.Has(FlagSendTrim) && end > start
            ? new ValueTask(Split(start, end - start, MaxEffect, (at, part) => RunAsync(CmdTrim, 0, at, part, default, default, cancellationToken)))
            : ValueTask.CompletedTask;
    }

    public async ValueTask WriteZeroesAsync(long offset, long length, WriteZeroesFlags flags, CancellationToken cancellationToken)
    {
        bool fast = (flags & WriteZeroesFlags.FastOnly) != 0;
        if (!Export.Has(FlagSendWriteZeroes) || (fast && !Export.Has(FlagSendFastZero)))
        {
            if (fast)
            {
                throw new BlockIoException(BlockError.NotSupported, "The NBD server cannot write zeroes quickly");
            }

            await WriteZeroDataAsync(offset, length, cancellationToken).ConfigureAwait(false);
            return;
        }

        // Partial blocks at the ends are written as data; the aligned middle as a write-zeroes request.
        long start = Math.Min(AlignUp(offset), offset + length);
        long end = Math.Max(AlignDown(offset + length), start);
        if (fast && (start != offset || end != offset + length))
        {
            throw new BlockIoException(BlockError.NotSupported, "The NBD server cannot write zeroes quickly to partial blocks");
        }

        await WriteZeroDataAsync(offset, start - offset, cancellationToken).ConfigureAwait(false);
        ushort requestFlags = (ushort)(((flags & WriteZeroesFlags.MayUnmap) != 0 ? 0 : CmdFlagNoHole) | (fast ? CmdFlagFastZero : 0));
        await Split(start, end - start, MaxEffect, (at, part) => RunAsync(CmdWriteZeroes, requestFlags, at, part, default, default, cancellationToken)).ConfigureAwait(false);
        await WriteZeroDataAsync(end, offset + length - end, cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteZeroDataAsync(long offset, long length, CancellationToken cancellationToken)
    {
        if (length == 0)
        {
            return;
        }

        var zeroes = ArrayPool<byte>.Shared.Rent((int)Math.Min(length, MaxData));
        try
        {
            Array.Clear(zeroes);
            while (length > 0)
            {
                int part = (int)Math.Min(length, zeroes.Length);
                await WriteAsync(offset, zeroes.AsMemory(0, part), false, cancellationToken).ConfigureAwait(false);
                offset += part;
                length -= part;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(zeroes);
        }
    }

    /// <summary>The first extent of the block-status context; all data when the server has none.</summary>
    public async ValueTask<BlockExtent> GetBlockStatusAsync(long offset, long length, CancellationToken cancellationToken)
    {
        if (Export.StatusContext is null)
        {
            return new BlockExtent(length, true, false);
        }

        long start = AlignDown(offset);
        long asked = Math.Min(Math.Min(AlignUp(offset + length) - start, MaxEffect), Size - start);
        var request = await RunAsync(CmdBlockStatus, CmdFlagReqOne, start, asked, default, default, cancellationToken).ConfigureAwait(false);
        var extent = request.Extent ?? new BlockExtent(asked, true, false);
        return extent with { Length = Math.Clamp(extent.Length - (offset - start), 1, length) };
    }

    /// <summary>Runs one request, again on the next connection if its connection is lost (until the link gives up).</summary>
    private async Task<NbdClientRequest> RunAsync(ushort type, ushort flags, long offset, long length, Memory<byte> destination,
        ReadOnlyMemory<byte> payload, CancellationToken cancellationToken)
    {
        var link = _links.Length == 1 ? _links[0] : _links[Interlocked.Increment(ref _nextLink) % (uint)_links.Length];
        while (true)
        {
            var session = await link.AcquireAsync(cancellationToken).ConfigureAwait(false);
            var request = new NbdClientRequest(type, offset, length, destination);
            try
            {
                await session.RunAsync(request, flags, payload).ConfigureAwait(false);
                return request;
            }
            catch (NbdConnectionLostException e)
            {
                link.Lost(session, e.InnerException ?? e);
            }
        }
    }

    /// <summary>Runs <paramref name="part"/> for each piece of at most <paramref name="limit"/> bytes, all at once (nothing for none).</summary>
    private static Task Split(long offset, long length, long limit, Func<long, long, Task> part)
    {
        if (length <= limit)
        {
            return length == 0 ? Task.CompletedTask : part(offset, length);
        }

        var parts = new List<Task>();
        for (long at = offset; at < offset + length; at += limit)
        {
            parts.Add(part(at, Math.Min(limit, offset + length - at)));
        }

        return Task.WhenAll(parts);
    }

    private bool IsAligned(long offset, long length) => Alignment == 1 || (offset % Alignment == 0 && length % Alignment == 0);

    private long AlignDown(long value) => value - (value % Alignment);

    private long AlignUp(long value) => AlignDown(value + Alignment - 1);

    public void Dispose()
    {
        foreach (var link in _links)
        {
            link.Dispose();
        }

        _tls?.RemoveUser();
        _partialBlocks.Dispose();
    }
}
