using ExportPS.Engine.Block;
using static ExportPS.Engine.Exports.Nbd.NbdProtocol;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// READs from a node that keeps its data in managed memory (<see cref="BlockNode.TryLend"/>): the reply goes out
/// gathered, its headers from the request buffer and its data straight from the node's arrays, so the data is copied
/// once (by the kernel, into the socket) instead of twice. Holes are what the copying path finds too: runs the node
/// reports as zero, and aligned 4 KiB blocks of lent data that read as zeroes. Where the reply must carry the zeroes
/// (simple replies, DF), they come from one shared block of zeroes.
/// </summary>
internal sealed partial class NbdConnection
{
    /// <summary>Below this a copy costs less than pinning and gathering several buffers.</summary>
    private const int LentReadMinimum = 32 * 1024;

    /// <summary>Never written: the source of zero runs that must go out as data.</summary>
    private static readonly byte[] Zeroes = new byte[64 * 1024];

    /// <summary>Lays out the reply for the runs in <see cref="NbdRequest.LentRuns"/> in <see cref="NbdRequest.ReplySegments"/>.</summary>
    private void ComposeLentRead(NbdRequest request)
    {
        var runs = request.LentRuns;
        var segments = request.ReplySegments;
        if (Mode == NbdReplyMode.Simple)
        {
            var simple = request.RentBuffer(SimpleReplyLength);
            WriteSimpleReply(simple, 0, request.Cookie);
            segments.Add(new ArraySegment<byte>(simple, 0, SimpleReplyLength));
            foreach (var run in runs)
            {
                AddData(segments, run.Data, run.Offset, run.Length);
            }

            return;
        }

        var layout = new LentChunkLayout(this, request, holes: !request.Has(CmdFlagDf));
        long offset = (long)request.Offset;
        foreach (var run in runs)
        {
            if (run.Zero || !layout.FindsHoles)
            {
                layout.Append(run.Zero, run.Data, run.Offset, run.Length);
            }
            else
            {
                AppendScanned(ref layout, run, offset);
            }

            offset += run.Length;
        }

        layout.Finish();
    }

    /// <summary>Lent data in pieces at 4 KiB boundaries of the disk: whole blocks of zeroes become holes.</summary>
    private static void AppendScanned(ref LentChunkLayout layout, LentRun run, long offset)
    {
        int position = 0;
        while (position < run.Length)
        {
            int blockEnd = HoleBlockEnd(offset, position, run.Length);
            bool zero = IsHoleBlock(run.Data.AsSpan(run.Offset + position, blockEnd - position));
            layout.Append(zero, run.Data, run.Offset + position, blockEnd - position);
            position = blockEnd;
        }
    }

    /// <summary>Adds data to the reply: a lent array (extending the last segment when it continues it) or zeroes.</summary>
    private static void AddData(List<ArraySegment<byte>> segments, byte[]? data, int offset, int length)
    {
        if (data is null)
        {
            for (int left = length; left > 0; left -= Zeroes.Length)
            {
                segments.Add(new ArraySegment<byte>(Zeroes, 0, Math.Min(left, Zeroes.Length)));
            }

            return;
        }

        if (segments.Count > 0 && segments[^1] is var last && last.Array == data && last.Offset + last.Count == offset)
        {
            segments[^1] = new ArraySegment<byte>(data, last.Offset, last.Count + length);
            return;
        }

        segments.Add(new ArraySegment<byte>(data, offset, length));
    }

    /// <summary>
    /// Builds the structured reply piece by piece: a piece of the same kind as the open chunk (data, or hole) extends it,
    /// another kind closes it and opens the next. A data chunk's header is written when it closes (its length is known
    /// then) into the segment slot reserved in front of its data.
    /// </summary>
    private ref struct LentChunkLayout(NbdConnection connection, NbdRequest request, bool holes)
    {
        private readonly List<ArraySegment<byte>> _segments = request.ReplySegments;
        private readonly byte[] _headers = request.RentBuffer(NbdRequest.MaxReadChunks * (connection.ChunkHeaderLength + 12));
        private int _headersUsed;
        private int _chunks;
        private bool _open;
        private bool _hole;
        private long _chunkOffset = (long)request.Offset;
        private int _chunkLength;
        private int _headerSlot;

        /// <summary>
        /// Whether a zero piece may open a hole: not with DF, and only while the chunk budget keeps room for the data
        /// chunk that may follow it.
        /// </summary>
        public readonly bool FindsHoles => holes && _chunks + 1 < NbdRequest.MaxReadChunks;

        public void Append(bool zero, byte[]? data, int offset, int length)
        {
            bool hole = zero && ((_open && _hole) || FindsHoles);
            if (_open && hole != _hole)
            {
                Close(0);
            }

            if (!_open)
            {
                _open = true;
                _hole = hole;
                _chunkLength = 0;
                _headerSlot = _segments.Count;
                _segments.Add(default);
                _chunks++;
            }

            _chunkLength += length;
            if (!hole)
            {
                AddData(_segments, data, offset, length);
            }
        }

        /// <summary>Closes the last chunk with the DONE flag.</summary>
        public void Finish() => Close(ReplyFlagDone);

        private void Close(ushort flags)
        {
            var header = _headers.AsSpan(_headersUsed);
            int length;
            if (_hole)
            {
                connection.WriteHoleChunk(header, flags, request, _chunkOffset, _chunkLength);
                length = connection.ChunkHeaderLength + 12;
            }
            else
            {
                connection.WriteDataChunkHeader(header, flags, request, _chunkOffset, _chunkLength);
                length = connection.ChunkHeaderLength + 8;
            }

            _segments[_headerSlot] = new ArraySegment<byte>(_headers, _headersUsed, length);
            _headersUsed += length;
            _chunkOffset += _chunkLength;
            _open = false;
        }
    }
}
