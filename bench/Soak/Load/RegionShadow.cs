namespace ExportPS.Soak.Load;

/// <summary>
/// What a client's own region must hold, block by block (4 KiB): the bytes it last wrote or zeroed, or unknown before
/// its first write (an earlier client may have used the region), after a trim (its content is then the server's
/// choice) and after a request whose reply never came.
/// </summary>
internal sealed class RegionShadow(int size)
{
    public const int BlockSize = 4096;

    private readonly byte[] _data = new byte[size];
    private readonly bool[] _known = new bool[size / BlockSize];

    public int Size => size;

    public void Forget(int offset, int length) => Array.Fill(_known, false, offset / BlockSize, length / BlockSize);

    public void Wrote(int offset, ReadOnlySpan<byte> data)
    {
        data.CopyTo(_data.AsSpan(offset));
        Array.Fill(_known, true, offset / BlockSize, data.Length / BlockSize);
    }

    public void Zeroed(int offset, int length)
    {
        _data.AsSpan(offset, length).Clear();
        Array.Fill(_known, true, offset / BlockSize, length / BlockSize);
    }

    /// <summary>Compares what was read at <paramref name="offset"/> with every known block; returns the bytes compared or the first mismatch.</summary>
    public (int Compared, int? Mismatch) Compare(int offset, ReadOnlySpan<byte> read)
    {
        int compared = 0;
        for (int at = 0; at < read.Length; at += BlockSize)
        {
            if (_known[(offset + at) / BlockSize])
            {
                if (!read.Slice(at, BlockSize).SequenceEqual(_data.AsSpan(offset + at, BlockSize)))
                {
                    return (compared, offset + at);
                }

                compared += BlockSize;
            }
        }

        return (compared, null);
    }

    /// <summary>True when a known block in [offset, offset + length) holds a non-zero byte (so it may not be reported as zero).</summary>
    public bool HasKnownData(int offset, int length)
    {
        for (int at = offset; at < offset + length; at += BlockSize)
        {
            if (_known[at / BlockSize] && _data.AsSpan(at, BlockSize).ContainsAnyExcept((byte)0))
            {
                return true;
            }
        }

        return false;
    }
}
