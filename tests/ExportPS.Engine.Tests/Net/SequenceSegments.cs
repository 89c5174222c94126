using System.Buffers;

namespace ExportPS.Engine.Tests.Net;

/// <summary>Builds a ReadOnlySequence from several arrays, as a reader sees data that arrived in pieces.</summary>
internal sealed class SequenceSegments : ReadOnlySequenceSegment<byte>
{
    private SequenceSegments(ReadOnlyMemory<byte> memory, long runningIndex)
    {
        Memory = memory;
        RunningIndex = runningIndex;
    }

    public static ReadOnlySequence<byte> Of(params byte[][] pieces)
    {
        var first = new SequenceSegments(pieces[0], 0);
        var last = first;
        foreach (var piece in pieces.Skip(1))
        {
            var next = new SequenceSegments(piece, last.RunningIndex + last.Memory.Length);
            last.Next = next;
            last = next;
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    /// <summary>The bytes split at <paramref name="at"/> into two segments.</summary>
    public static ReadOnlySequence<byte> SplitAt(byte[] bytes, int at) => Of(bytes[..at], bytes[at..]);
}
