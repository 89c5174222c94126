using System.Numerics;

namespace ExportPS.Engine.Block;

/// <summary>
/// One bit per <see cref="Granularity"/> bytes of a node: set when anything wrote there since the last clear.
/// Marking is lock-free (writes arrive from every worker at once); queries read a consistent-enough snapshot, as in QEMU.
/// </summary>
public sealed class DirtyBitmap
{
    private readonly ulong[] _words;
    private readonly int _shift;

    internal DirtyBitmap(string name, long granularity, long nodeSize, bool persistent, bool enabled)
    {
        Name = name;
        Granularity = granularity;
        NodeSize = nodeSize;
        Persistent = persistent;
        Enabled = enabled;
        _shift = BitOperations.Log2((ulong)granularity);
        long bits = (nodeSize + granularity - 1) >> _shift;
        _words = new ulong[(bits + 63) / 64];
    }

    public string Name { get; }

    public long Granularity { get; }

    public long NodeSize { get; }

    public bool Persistent { get; }

    public bool Enabled { get; internal set; }

    /// <summary>Published by an export; a busy bitmap cannot be removed, cleared, merged into or toggled.</summary>
    public bool Busy => Volatile.Read(ref _users) > 0;

    private int _users;

    internal void AddUser() => Interlocked.Increment(ref _users);

    internal void RemoveUser() => Interlocked.Decrement(ref _users);

    /// <summary>Dirty bytes: set bits times the granularity, the last one clipped to the node size.</summary>
    public long Count
    {
        get
        {
            long count = 0;
            for (int i = 0; i < _words.Length; i++)
            {
                count += BitOperations.PopCount(Volatile.Read(ref _words[i]));
            }

            long bytes = count << _shift;
            long lastBit = (NodeSize - 1) >> _shift;
            if (NodeSize > 0 && IsSet(lastBit))
            {
                bytes -= ((lastBit + 1) << _shift) - NodeSize;
            }

            return bytes;
        }
    }

    internal void Mark(long offset, long length)
    {
        if (Enabled)
        {
            SetBits(offset, length);
        }
    }

    private void SetBits(long offset, long length)
    {
        if (length <= 0)
        {
            return;
        }

        long first = offset >> _shift;
        long last = (offset + length - 1) >> _shift;
        // A word at a time: a 1 TiB discard at 64 KiB granularity is 256 Ki atomic ORs, not 16 Mi.
        for (long word = first >> 6; word <= last >> 6; word++)
        {
            int low = word == first >> 6 ? (int)(first & 63) : 0;
            int high = word == last >> 6 ? (int)(last & 63) : 63;
            ulong mask = (ulong.MaxValue >> (63 - high)) & (ulong.MaxValue << low);
            Interlocked.Or(ref _words[word], mask);
        }
    }

    internal void Clear() => Array.Clear(_words);

    /// <summary>ORs <paramref name="source"/> in, whatever its granularity (a merge marks even a disabled target, as in QEMU).</summary>
    internal void Merge(DirtyBitmap source)
    {
        // A run of set source bits at a time, found a word at a time; each marks its bytes (clipped to this node).
        long last = ((source.NodeSize + source.Granularity - 1) >> source._shift) - 1;
        for (long first = source.FindDifferent(0, last, dirty: false); first <= last;)
        {
            long end = source.FindDifferent(first, last, dirty: true);
            long start = first << source._shift;
            SetBits(start, Math.Min(end << source._shift, NodeSize) - start);
            first = source.FindDifferent(end, last, dirty: false);
        }
    }

    /// <summary>The run of equal state starting at <paramref name="offset"/>, at most <paramref name="length"/> bytes.</summary>
    public (long Length, bool Dirty) GetRun(long offset, long length)
    {
        long bit = offset >> _shift;
        bool dirty = IsSet(bit);
        long end = Math.Min(offset + length, NodeSize);
        if (end <= offset)
        {
            return (0, dirty);
        }

        long different = FindDifferent(bit + 1, (end - 1) >> _shift, dirty);
        return (Math.Min(different << _shift, end) - offset, dirty);
    }

    /// <summary>The first bit in [<paramref name="from"/>, <paramref name="last"/>] whose state is not <paramref name="dirty"/>, else last + 1; a word at a time.</summary>
    private long FindDifferent(long from, long last, bool dirty)
    {
        for (long bit = from; bit <= last; bit = ((bit >> 6) + 1) << 6)
        {
            ulong word = Volatile.Read(ref _words[bit >> 6]);
            ulong differs = (dirty ? ~word : word) & (ulong.MaxValue << (int)(bit & 63));
            if (differs != 0)
            {
                return Math.Min(((bit >> 6) << 6) + BitOperations.TrailingZeroCount(differs), last + 1);
            }
        }

        return last + 1;
    }

    private bool IsSet(long bit) => (Volatile.Read(ref _words[bit >> 6]) & (1UL << (int)(bit & 63))) != 0;
}
