using ExportPS.Engine.Transport;

namespace ExportPS.Fuzz;

/// <summary>
/// A connection whose peer's bytes are the fuzz input: receives hand them out in order, then the end of the input is the
/// peer closing its side (0). What the code under test sends is dropped. Receives and sends complete at once, on the
/// caller's thread, so the code under test never waits on another thread.
/// </summary>
internal sealed class MemoryTransport(ReadOnlyMemory<byte> input) : StreamTransport
{
    private ReadOnlyMemory<byte> _remaining = input;
    private volatile bool _aborted;

    public override ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (_aborted)
        {
            return ValueTask.FromException<int>(new IOException("the connection was aborted"));
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        int count = Math.Min(buffer.Length, _remaining.Length);
        _remaining[..count].CopyTo(buffer);
        _remaining = _remaining[count..];
        return ValueTask.FromResult(count);
    }

    public override ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        _aborted ? ValueTask.FromException(new IOException("the connection was aborted")) : ValueTask.CompletedTask;

    public override void Abort() => _aborted = true;

    public override void Dispose() => Abort();
}
