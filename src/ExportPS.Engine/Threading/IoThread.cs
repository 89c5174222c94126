using System.Collections.Concurrent;
using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Objects;

namespace ExportPS.Engine.Threading;

/// <summary>
/// A worker of the engine pool: one dedicated OS thread that runs a loop over its own queue. Work started through
/// <see cref="Run"/> runs there, and its awaits resume there (the thread installs its own SynchronizationContext), so
/// everything of an export placed on this iothread is handled on one thread and never contends with other iothreads.
/// Its poll settings tune how its connections wait for their clients (<see cref="AdaptivePoll"/>).
/// </summary>
public sealed class IoThread : IUserCreatable, IDisposable
{
    private readonly BlockingCollection<(SendOrPostCallback Callback, object? State)> _queue = new(new ConcurrentQueue<(SendOrPostCallback, object?)>());
    private readonly Thread _thread;
    private readonly TaskCompletionSource<int> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _users;

    public IoThread(IoThreadOptions options)
    {
        Options = options;
        Id = options.Id;
        Scheduler = new IoThreadTaskScheduler(this);
        Context = new IoThreadSynchronizationContext(this);
        _thread = new Thread(Loop) { IsBackground = true, Name = "iothread " + Id };
        _thread.Start();
        ThreadId = _started.Task.GetAwaiter().GetResult();
    }

    public string Id { get; }

    public IoThreadOptions Options { get; }

    /// <summary>The OS thread id (QEMU's thread-id in query-iothreads).</summary>
    public int ThreadId { get; }

    public TaskScheduler Scheduler { get; }

    public SynchronizationContext Context { get; }

    /// <summary>Exports and netdevs placed here; an iothread with users cannot be removed.</summary>
    public int Users => Volatile.Read(ref _users);

    public bool IsCurrent => Thread.CurrentThread == _thread;

    /// <summary>A poll window with this iothread's settings, for one worker loop placed on it.</summary>
    internal AdaptivePoll NewPoll() => new(PollMaxNs, PollGrow, PollShrink);

    public long PollMaxNs => Options.PollMaxNs ?? IoThreadOptions.DefaultPollMaxNs;

    public long PollGrow => Options.PollGrow ?? 0;

    public long PollShrink => Options.PollShrink ?? 0;

    bool IUserCreatable.InUse => Users > 0;

    string IUserCreatable.InUseErrorId => ErrorIds.IoThreadInUse;

    internal void AddUser() => Interlocked.Increment(ref _users);

    internal void RemoveUser() => Interlocked.Decrement(ref _users);

    /// <summary>Starts <paramref name="work"/> on this thread; its continuations stay here.</summary>
    public Task Run(Func<Task> work) =>
        Task.Factory.StartNew(work, CancellationToken.None, TaskCreationOptions.DenyChildAttach, Scheduler).Unwrap();

    public void Post(SendOrPostCallback callback, object? state)
    {
        try
        {
            _queue.Add((callback, state));
        }
        catch (InvalidOperationException)
        {
            // Disposed: late continuations of connections being torn down have nowhere to run here; hand them to the thread pool.
            ThreadPool.UnsafeQueueUserWorkItem(s => callback(s), state, preferLocal: false);
        }
    }

    private void Loop()
    {
        SynchronizationContext.SetSynchronizationContext(Context);
        _started.SetResult(NativeThreadId());
        foreach (var (callback, state) in _queue.GetConsumingEnumerable())
        {
            callback(state);
        }
    }

    private static int NativeThreadId() => OperatingSystem.IsLinux() ? Interop.Native.GetTid() : Environment.CurrentManagedThreadId;

    public void Dispose()
    {
        _queue.CompleteAdding();
        if (!IsCurrent)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    private sealed class IoThreadSynchronizationContext(IoThread owner) : SynchronizationContext
    {
        public override void Post(SendOrPostCallback d, object? state) => owner.Post(d, state);

        public override void Send(SendOrPostCallback d, object? state)
        {
            if (owner.IsCurrent)
            {
                d(state);
                return;
            }

            using var done = new ManualResetEventSlim();
            owner.Post(_ => { try { d(state); } finally { done.Set(); } }, null);
            done.Wait();
        }

        public override SynchronizationContext CreateCopy() => this;
    }

    private sealed class IoThreadTaskScheduler(IoThread owner) : TaskScheduler
    {
        protected override void QueueTask(Task task) => owner.Post(t => TryExecuteTask((Task)t!), task);

        protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) => owner.IsCurrent && TryExecuteTask(task);

        protected override IEnumerable<Task>? GetScheduledTasks() => null;

        public override int MaximumConcurrencyLevel => 1;
    }
}
