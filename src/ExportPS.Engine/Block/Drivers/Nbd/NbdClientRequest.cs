using ExportPS.Engine.Exports.Nbd;

namespace ExportPS.Engine.Block.Drivers.Nbd;

/// <summary>
/// One request in flight on a session, found by its cookie when a reply arrives: what was asked (so every chunk can be
/// checked against it), where READ data goes, which bytes of a structured READ have arrived, the first error the server
/// reported and the block status it sent. Completed by the session's receive loop only, so no chunk can write into the
/// destination after the caller has been answered. The caller carries on elsewhere, so the receive loop never runs its
/// code, unless <paramref name="completesInline"/>: for a caller that runs the whole session on its one thread (the fuzz
/// target), where a hop to the thread pool would make the session's path vary with scheduling.
/// </summary>
internal sealed class NbdClientRequest(ushort type, long offset, long length, Memory<byte> destination = default, bool completesInline = false)
{
    private readonly TaskCompletionSource _done = new(completesInline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Data chunks that arrived out of order, kept until the bytes before them arrive.</summary>
    private List<(long Start, long End)>? _ahead;

    public ushort Type { get; } = type;

    /// <summary>Given by the session when the request goes out.</summary>
    public ulong Cookie { get; set; }

    public long Offset { get; } = offset;

    public long Length { get; } = length;

    /// <summary>READ: where the data goes (exactly <see cref="Length"/> bytes).</summary>
    public Memory<byte> Destination { get; } = destination;

    /// <summary>READ: everything before this offset has arrived as data or hole chunks.</summary>
    public long Received { get; private set; } = offset;

    /// <summary>The first errno the server replied with (0: none).</summary>
    public uint Errno { get; private set; }

    public string? ErrorMessage { get; private set; }

    /// <summary>BLOCK_STATUS: the first extent of the context asked for.</summary>
    public BlockExtent? Extent { get; set; }

    public Task Completion => _done.Task;

    public long End => Offset + Length;

    /// <summary>Whether every byte of a READ arrived (a structured reply may come in several chunks).</summary>
    public bool Complete => Received == End && _ahead is null;

    public void RecordError(uint errno, string? message)
    {
        if (Errno == 0)
        {
            Errno = errno;
            ErrorMessage = message;
        }
    }

    /// <summary>Accounts for a data or hole chunk of [start, end); false when it overlaps bytes already received.</summary>
    public bool TryCover(long start, long end)
    {
        if (start < Received || (_ahead?.Any(r => start < r.End && r.Start < end) ?? false))
        {
            return false;
        }

        if (start > Received)
        {
            (_ahead ??= []).Add((start, end));
            return true;
        }

        Received = end;
        while (_ahead?.FindIndex(r => r.Start == Received) is int next and >= 0)
        {
            Received = _ahead[next].End;
            _ahead.RemoveAt(next);
            if (_ahead.Count == 0)
            {
                _ahead = null;
            }
        }

        return true;
    }

    /// <summary>The reply is complete: the caller sees success, the server's error, or a READ the server left partly unanswered.</summary>
    public void Finish()
    {
        if (Errno != 0)
        {
            string detail = ErrorMessage is { Length: > 0 } text ? $": {text}" : string.Empty;
            _done.TrySetException(new BlockIoException(NbdProtocol.ErrorOf(Errno), $"The NBD server failed the request (errno {Errno}){detail}"));
        }
        else if (Type == NbdProtocol.CmdRead && !Complete)
        {
            _done.TrySetException(new BlockIoException(BlockError.Io, "The NBD server did not send all of the data read"));
        }
        else
        {
            _done.TrySetResult();
        }
    }

    public void Fail(Exception exception) => _done.TrySetException(exception);
}
