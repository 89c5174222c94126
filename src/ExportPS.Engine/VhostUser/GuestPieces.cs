namespace ExportPS.Engine.VhostUser;

/// <summary>Byte-wise access across the pieces of a chain's readable or writable buffers, as one contiguous range.</summary>
public static class GuestPieces
{
    /// <summary>Copies from the range starting at <paramref name="offset"/> into <paramref name="destination"/>; returns the bytes copied.</summary>
    public static int CopyOut(List<Memory<byte>> pieces, long offset, Span<byte> destination)
    {
        int copied = 0;
        foreach (var piece in pieces)
        {
            if (copied == destination.Length)
            {
                break;
            }

            if (offset >= piece.Length)
            {
                offset -= piece.Length;
                continue;
            }

            var source = piece.Span[(int)offset..];
            int run = Math.Min(source.Length, destination.Length - copied);
            source[..run].CopyTo(destination[copied..]);
            copied += run;
            offset = 0;
        }

        return copied;
    }

    /// <summary>Copies <paramref name="source"/> into the range starting at <paramref name="offset"/>; returns the bytes copied.</summary>
    public static int CopyIn(List<Memory<byte>> pieces, long offset, ReadOnlySpan<byte> source)
    {
        int copied = 0;
        foreach (var piece in pieces)
        {
            if (copied == source.Length)
            {
                break;
            }

            if (offset >= piece.Length)
            {
                offset -= piece.Length;
                continue;
            }

            var destination = piece.Span[(int)offset..];
            int run = Math.Min(destination.Length, source.Length - copied);
            source.Slice(copied, run).CopyTo(destination);
            copied += run;
            offset = 0;
        }

        return copied;
    }

    /// <summary>Appends to <paramref name="into"/> the pieces covering [offset, offset + length) of <paramref name="pieces"/>.</summary>
    public static void Slice(List<Memory<byte>> pieces, long offset, long length, List<Memory<byte>> into)
    {
        foreach (var piece in pieces)
        {
            if (length == 0)
            {
                break;
            }

            if (offset >= piece.Length)
            {
                offset -= piece.Length;
                continue;
            }

            var part = piece[(int)offset..];
            part = part[..(int)Math.Min(part.Length, length)];
            into.Add(part);
            length -= part.Length;
            offset = 0;
        }
    }
}
