using ExportPS.Engine.Transport;

namespace ExportPS.Fuzz;

/// <summary>
/// A connection whose peer's bytes are the fuzz input: receives hand them out in order, then the end of the input is the
/// peer closing its side (0). What the code under test sends is dropped. <see cref="Hold"/> keeps receives waiting
/// until <see cref="Release"/>, so a client can register its requests before the replies to them arrive.
/// </summary>
internal sealed class MemoryTransport(ReadOnlyMemory<byte> input) : StreamTransport
{
    private ReadOnlyMemory<byte> _remaining = input;
    private TaskCompletionSource _gate = Opened();
    private volatile bool _aborted;

    public void Hold() => _gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _gate.TrySetResult();

    public override async ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        await _gate.Task.WaitAsync(cancellationToken);
        if (_aborted)
        {
            throw new IOException("the connection was aborted");
        }

        int count = Math.Min(buffer.Length, _remaining.Length);
        _remaining[..count].CopyTo(buffer);
        _remaining = _remaining[count..];
        return count;
    }

    public override ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        _aborted ? ValueTask.FromException(new IOException("the connection was aborted")) : ValueTask.CompletedTask;

    public override void Abort()
    {
        _aborted = true;
        Release();
    }

    public override void Dispose() => Abort();

    private static TaskCompletionSource Opened()
    {
        var opened = new TaskCompletionSource();
        opened.SetResult();
        return opened;
    }
}
