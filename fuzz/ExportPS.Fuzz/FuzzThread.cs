using System.Collections.Concurrent;

namespace ExportPS.Fuzz;

/// <summary>
/// Runs asynchronous code under test on the calling (fuzz) thread only. The instrumentation's coverage map and its
/// "previous location" are shared by every thread, so instrumented code that runs on another thread, or at the same time
/// as this one, makes the edges of one input vary with scheduling and AFL's guidance unreliable. While
/// <see cref="Run"/> pumps, this is the thread's <see cref="SynchronizationContext"/>: awaits resume here, in the order
/// they were posted. The work is bounded like every other wait.
/// </summary>
internal sealed class FuzzThread : SynchronizationContext
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = [];

    /// <summary>Starts <paramref name="work"/> here and runs everything it posts until it ends; its exception escapes as it is.</summary>
    public void Run(Func<Task> work, string what) => Under(this, () =>
    {
        var task = work();
        Drain(task, what);
        task.GetAwaiter().GetResult();
    });

    /// <summary>
    /// Runs what was posted here until <paramref name="until"/> has ended, under no context at all: the code that runs
    /// may then complete tasks inline (while a context other than the default one is current, the runtime hands such a
    /// continuation to the thread pool instead).
    /// </summary>
    public void Pump(Task until, string what) => Under(null, () => Drain(until, what));

    private static void Under(SynchronizationContext? context, Action action)
    {
        var previous = Current;
        SetSynchronizationContext(context);
        try
        {
            action();
        }
        finally
        {
            SetSynchronizationContext(previous);
        }
    }

    /// <summary>Runs what was posted until <paramref name="until"/> has ended and nothing is left, so no work of this input is left over for the next one.</summary>
    private void Drain(Task until, string what)
    {
        var deadline = DateTime.UtcNow + Bounded.Limit;
        while (true)
        {
            var wait = until.IsCompleted ? TimeSpan.Zero : deadline - DateTime.UtcNow;
            if (wait >= TimeSpan.Zero && _queue.TryTake(out var next, wait))
            {
                next.Callback(next.State);
            }
            else if (until.IsCompleted)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new FuzzBugException($"{what} did not end within {Bounded.Limit.TotalSeconds:0} s");
            }
        }
    }

    public override void Post(SendOrPostCallback d, object? state) => _queue.Add((d, state));

    public override SynchronizationContext CreateCopy() => this;
}
