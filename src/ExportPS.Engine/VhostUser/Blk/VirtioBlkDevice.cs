using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;
using ExportPS.Engine.Block;
using ExportPS.Engine.Exports;
using Microsoft.Extensions.ObjectPool;
using static ExportPS.Engine.VhostUser.Blk.VirtioBlkProtocol;

namespace ExportPS.Engine.VhostUser.Blk;

/// <summary>
/// The virtio-blk device model over a block node, independent of how the queues reach it (the model of QEMU's
/// virtio-blk-handler.c): feature bits, config space, and request handling. <see cref="ProcessQueue"/> takes every
/// available request off a queue and runs them concurrently on the node; each completes with a status byte in its last
/// writable byte. Any failure, of the guest (bad chain, bad header, out of range) or of the node, fails that request
/// alone; nothing is thrown at the caller.
/// <para>
/// Every write into a request's buffers happens inside the queue's guest write (<see cref="SplitVirtqueue.TryBeginGuestWrite"/>),
/// so a request the queue abandoned writes nothing. A node whose reads finish within the call reads straight into the
/// guest buffers, inside one such write; any other node may still write its destination long after (a remote server,
/// a delay), so it reads into a pooled bounce buffer that is copied into the guest buffers at completion, only while
/// the request is still owned.
/// </para>
/// </summary>
public sealed class VirtioBlkDevice : IVhostUserDevice
{
    private static readonly ObjectPool<VirtioBlkRequest> RequestPool =
        new DefaultObjectPool<VirtioBlkRequest>(new DefaultPooledObjectPolicy<VirtioBlkRequest>(), 1024);

    private readonly BlockNode _node;
    private readonly ExportIoPolicy _policy;
    private readonly byte[] _id;

    public VirtioBlkDevice(BlockNode node, VirtioBlkOptions options)
    {
        _node = node;
        Options = options;
        _policy = new ExportIoPolicy(options.Writethrough);
        _id = new byte[IdLength];
        var serial = Encoding.UTF8.GetBytes(options.Serial);
        serial.AsSpan(0, Math.Min(serial.Length, IdLength)).CopyTo(_id);
    }

    public VirtioBlkOptions Options { get; }

    /// <summary>Every feature the device offers, the ring features included (vhost-user adds its own bit).</summary>
    public ulong Features =>
        VirtioFeatures.Version1 | VirtioFeatures.RingIndirectDesc | VirtioFeatures.RingEventIdx
        | VirtioBlkFeatures.SizeMax | VirtioBlkFeatures.SegMax | VirtioBlkFeatures.BlkSize | VirtioBlkFeatures.Topology
        | VirtioBlkFeatures.Flush | VirtioBlkFeatures.Mq | VirtioBlkFeatures.Discard | VirtioBlkFeatures.WriteZeroes
        | (Options.Writable ? 0 : VirtioBlkFeatures.ReadOnly);

    public int NumQueues => Options.NumQueues;

    /// <summary>A window of the config space (GET_CONFIG); null when it leaves the config space.</summary>
    public byte[]? ReadConfig(uint offset, int length) => VirtioConfigWindow.Read(VirtioBlkConfig.Build(Options, _node.Size), offset, length);

    /// <summary>
    /// Takes every available request off <paramref name="queue"/> and starts it, then re-arms notifications; loops while
    /// requests keep arriving. Called for each kick, on the thread that owns the queue's kicks.
    /// </summary>
    public void ProcessQueue(SplitVirtqueue queue)
    {
        do
        {
            while (true)
            {
                var request = RequestPool.Get();
                if (!queue.TryPop(request.Chain))
                {
                    RequestPool.Return(request);
                    break;
                }

                request.Queue = queue;
                Start(request);
            }
        }
        while (queue.EnableNotification());
    }

    private void Start(VirtioBlkRequest request)
    {
        var pending = ExecuteAsync(request);
        if (pending.IsCompleted)
        {
            Finish(request, pending.Result);
        }
        else
        {
            _ = FinishLaterAsync(request, pending);
        }
    }

    private async Task FinishLaterAsync(VirtioBlkRequest request, ValueTask<Outcome> pending) =>
        Finish(request, await pending.ConfigureAwait(false));

    /// <summary>
    /// Writes the bounced read data and the status into the chain, while it is still owned, and hands the chain back; a
    /// chain without a status byte gets length 0.
    /// </summary>
    private static void Finish(VirtioBlkRequest request, Outcome outcome)
    {
        var chain = request.Chain;
        uint written = 0;
        if (chain.EndsInMappedWritable && request.TryBeginGuestWrite())
        {
            if (request.Bounce is { } bounce)
            {
                GuestPieces.CopyIn(chain.Writable, 0, bounce.AsSpan(0, (int)outcome.DataWritten));
            }

            GuestPieces.CopyIn(chain.Writable, chain.WritableLength - 1, [outcome.Status]);
            written = outcome.DataWritten + 1;
        }

        var queue = request.Queue!;
        request.EndGuestWrite();
        request.ReturnBounce();
        request.Queue = null;
        request.Data.Clear();
        queue.Complete(chain, written);
        RequestPool.Return(request);
    }

    private readonly record struct Outcome(byte Status, uint DataWritten);

    private static readonly Outcome Ok = new(StatusOk, 0);
    private static readonly Outcome IoError = new(StatusIoError, 0);
    private static readonly Outcome Unsupported = new(StatusUnsupported, 0);

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> ExecuteAsync(VirtioBlkRequest request)
    {
        var chain = request.Chain;
        if (chain.Fault != DescriptorChainFault.None || !chain.EndsInMappedWritable || chain.ReadableLength < HeaderLength)
        {
            return IoError;
        }

        GuestPieces.CopyOut(chain.Readable, 0, request.Scratch.AsSpan(0, HeaderLength));
        uint type = BinaryPrimitives.ReadUInt32LittleEndian(request.Scratch);
        ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(request.Scratch.AsSpan(8));
        long dataIn = chain.WritableLength - 1;
        long dataOut = chain.ReadableLength - HeaderLength;
        try
        {
            switch (type)
            {
                case TypeIn:
                    // The used length the read reports is 32 bits.
                    if (dataIn > uint.MaxValue - 1 || !TryGetRange(sector, dataIn, out long readOffset))
                    {
                        return IoError;
                    }

                    return _node.ReadsCompleteInline
                        ? await ReadIntoGuestAsync(request, readOffset, dataIn).ConfigureAwait(false)
                        : await ReadBouncedAsync(request, readOffset, dataIn).ConfigureAwait(false);
                case TypeOut:
                    if (!Options.Writable || !TryGetRange(sector, dataOut, out long writeOffset))
                    {
                        return IoError;
                    }

                    GuestPieces.Slice(chain.Readable, HeaderLength, dataOut, request.Data);
                    foreach (var piece in request.Data)
                    {
                        await _policy.WriteAsync(_node, writeOffset, piece, fua: false).ConfigureAwait(false);
                        writeOffset += piece.Length;
                    }

                    return Ok;
                case TypeFlush:
                    await _node.FlushAsync().ConfigureAwait(false);
                    return Ok;
                case TypeGetId:
                    if (!request.TryBeginGuestWrite())
                    {
                        return IoError;
                    }

                    int idLength = (int)Math.Min(IdLength, dataIn);
                    GuestPieces.CopyIn(chain.Writable, 0, _id.AsSpan(0, idLength));
                    return new Outcome(StatusOk, (uint)idLength);
                case TypeDiscard:
                case TypeWriteZeroes:
                    return await DiscardOrZeroAsync(request, type, dataOut).ConfigureAwait(false);
                default:
                    return Unsupported;
            }
        }
        catch (BlockIoException e) when (e.Error == BlockError.NotSupported)
        {
            return Unsupported;
        }
        catch (Exception)
        {
            // Whatever the node threw, the guest sees an I/O error and the queue goes on.
            return IoError;
        }
    }

    /// <summary>
    /// A read from a node that finishes it within the call: straight into the guest buffers, inside the guest write that
    /// <see cref="Finish"/> ends after the status. Should the node still go asynchronous, the write stays open until it
    /// completes, so an abandonment waits for it rather than let it land afterwards.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> ReadIntoGuestAsync(VirtioBlkRequest request, long offset, long length)
    {
        if (!request.TryBeginGuestWrite())
        {
            return IoError;
        }

        GuestPieces.Slice(request.Chain.Writable, 0, length, request.Data);
        foreach (var piece in request.Data)
        {
            await _node.ReadAsync(offset, piece).ConfigureAwait(false);
            offset += piece.Length;
        }

        return new Outcome(StatusOk, (uint)length);
    }

    /// <summary>A read from a node that may hold it: into a bounce buffer, which <see cref="Finish"/> copies while the chain is owned.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Outcome> ReadBouncedAsync(VirtioBlkRequest request, long offset, long length)
    {
        if (length > (long)Options.SegMax * Options.SizeMax)
        {
            return IoError;
        }

        var bounce = request.RentBounce((int)length);
        await _node.ReadAsync(offset, bounce.AsMemory(0, (int)length)).ConfigureAwait(false);
        return new Outcome(StatusOk, (uint)length);
    }

    /// <summary>DISCARD and WRITE_ZEROES: a list of segments, each a range and flags, checked against the config's limits.</summary>
    private async ValueTask<Outcome> DiscardOrZeroAsync(VirtioBlkRequest request, uint type, long dataOut)
    {
        bool discard = type == TypeDiscard;
        uint maxSegments = discard ? Options.MaxDiscardSegments : Options.MaxWriteZeroesSegments;
        uint maxSectors = discard ? Options.MaxDiscardSectors : Options.MaxWriteZeroesSectors;
        if (!Options.Writable || dataOut == 0 || dataOut % SegmentLength != 0)
        {
            return IoError;
        }

        if (dataOut / SegmentLength > maxSegments)
        {
            return Unsupported;
        }

        for (long at = HeaderLength; at < HeaderLength + dataOut; at += SegmentLength)
        {
            var segment = request.Scratch.AsSpan(0, SegmentLength);
            GuestPieces.CopyOut(request.Chain.Readable, at, segment);
            ulong sector = BinaryPrimitives.ReadUInt64LittleEndian(segment);
            uint sectors = BinaryPrimitives.ReadUInt32LittleEndian(segment[8..]);
            uint flags = BinaryPrimitives.ReadUInt32LittleEndian(segment[12..]);

            // DISCARD takes no flags; WRITE_ZEROES only UNMAP.
            if ((flags & ~(discard ? 0 : SegmentFlagUnmap)) != 0)
            {
                return Unsupported;
            }

            long length = (long)sectors << SectorShift;
            if (sectors > maxSectors || !TryGetRange(sector, length, out long offset))
            {
                return IoError;
            }

            if (discard)
            {
                await _policy.DiscardAsync(_node, offset, length, fua: false).ConfigureAwait(false);
            }
            else
            {
                var zeroFlags = (flags & SegmentFlagUnmap) != 0 ? WriteZeroesFlags.MayUnmap : WriteZeroesFlags.None;
                await _policy.WriteZeroesAsync(_node, offset, length, zeroFlags, fua: false).ConfigureAwait(false);
            }
        }

        return Ok;
    }

    /// <summary>
    /// The byte offset of <paramref name="sector"/>, when it and <paramref name="length"/> are whole logical blocks and
    /// the range lies within the disk (as QEMU's virtio_blk_sect_range_ok).
    /// </summary>
    private bool TryGetRange(ulong sector, long length, out long offset)
    {
        offset = 0;
        long blockSize = Options.LogicalBlockSize;
        if (sector > (ulong)(long.MaxValue >> SectorShift))
        {
            return false;
        }

        offset = (long)sector << SectorShift;
        return offset % blockSize == 0 && length % blockSize == 0 && offset <= _node.Size && length <= _node.Size - offset;
    }
}
