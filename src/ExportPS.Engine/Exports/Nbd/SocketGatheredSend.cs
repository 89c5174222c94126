using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// Gathered sends (sendmsg with several buffers) on one socket, one at a time. A reused SocketAsyncEventArgs completes
/// through this IValueTaskSource, so a send allocates nothing. At most <see cref="BuffersPerCall"/> buffers go into one
/// call: beyond that the runtime pins them through arrays it allocates per call (the number is Linux's UIO_FASTIOV).
/// </summary>
internal sealed class SocketGatheredSend(Socket socket) : SocketAsyncEventArgs(unsafeSuppressExecutionContextFlow: true), IValueTaskSource
{
    private const int BuffersPerCall = 8;

    private readonly List<ArraySegment<byte>> _group = new(BuffersPerCall);
    private ManualResetValueTaskSourceCore<bool> _completion;

    /// <summary>Sends every byte of <paramref name="segments"/> in order, or throws a <see cref="SocketException"/>.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(IList<ArraySegment<byte>> segments)
    {
        for (int first = 0; first < segments.Count; first += BuffersPerCall)
        {
            _group.Clear();
            for (int i = first; i < Math.Min(segments.Count, first + BuffersPerCall); i++)
            {
                _group.Add(segments[i]);
            }

            // The setter copies the list into the arguments' own; the socket sends all of it before completing.
            BufferList = _group;
            _completion.Reset();
            if (socket.SendAsync(this))
            {
                await new ValueTask(this, _completion.Version);
            }

            if (SocketError != SocketError.Success)
            {
                throw new SocketException((int)SocketError);
            }
        }
    }

    protected override void OnCompleted(SocketAsyncEventArgs e) => _completion.SetResult(true);

    void IValueTaskSource.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);
}
