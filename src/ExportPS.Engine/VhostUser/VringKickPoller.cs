using System.Runtime.InteropServices;
using ExportPS.Engine.Interop;
using ExportPS.Engine.Threading;

namespace ExportPS.Engine.VhostUser;

/// <summary>
/// Waits on the kick eventfds of a session's started rings and has the device process a ring when it is kicked. .NET
/// has no async wait on an arbitrary descriptor, so one thread per session sits in poll(2); the processing itself runs
/// on the export's iothread when it has one (so all of a ring's processing stays on one thread), else on this thread.
/// <see cref="Refresh"/> (after every control message) makes it look at the rings again and process each started one
/// once, so a request posted before its ring started is not left waiting for a kick that came too early.
/// </summary>
internal sealed class VringKickPoller : IDisposable
{
    private readonly VhostUserBackend _backend;
    private readonly Action<SplitVirtqueue> _process;
    private readonly IoThread? _ioThread;
    private readonly SendOrPostCallback _processOnIoThread;
    private readonly EventFd _wake = EventFd.Create();
    private readonly Thread _thread;

    // The poll set of one round, kept between rounds so waiting allocates nothing.
    private readonly List<SplitVirtqueue> _rings = [];
    private readonly List<SplitVirtqueue> _polled = [];
    private readonly List<EventFd> _kicks = [];
    private readonly List<SafeHandle> _held = [];
    private volatile bool _stopping;

    public VringKickPoller(VhostUserBackend backend, Action<SplitVirtqueue> process, IoThread? ioThread, string name)
    {
        _backend = backend;
        _process = process;
        _ioThread = ioThread;
        _processOnIoThread = queue => process((SplitVirtqueue)queue!);
        _thread = new Thread(Loop) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>The rings may have changed: look again and process every started one.</summary>
    public void Refresh() => _wake.Signal();

    private void Loop()
    {
        bool recheck = true;
        while (!_stopping)
        {
            _rings.Clear();
            foreach (var queue in _backend.Queues)
            {
                if (queue.Started)
                {
                    _rings.Add(queue);
                }
            }

            if (recheck)
            {
                foreach (var queue in _rings)
                {
                    Dispatch(queue);
                }
            }

            recheck = WaitForKicks();
        }
    }

    /// <summary>One poll over the wake eventfd and the rings' kicks; processes the kicked rings. True when woken.</summary>
    private unsafe bool WaitForKicks()
    {
        _kicks.Clear();
        _polled.Clear();
        _held.Clear();
        var fds = stackalloc Native.PollFd[_rings.Count + 1];
        try
        {
            int count = 0;
            if (!TryHold(_wake, _held, fds, ref count))
            {
                return false;
            }

            foreach (var queue in _rings)
            {
                // A kick the front-end replaced meanwhile is skipped; the message that replaced it wakes this loop.
                if (queue.Kick is { } kick && TryHold(kick, _held, fds, ref count))
                {
                    _polled.Add(queue);
                    _kicks.Add(kick);
                }
            }

            while (Native.Poll(fds, (nuint)count, -1) < 0 && Marshal.GetLastPInvokeError() == Native.EINTR)
            {
            }

            for (int i = 0; i < _polled.Count; i++)
            {
                if ((fds[i + 1].Revents & Native.POLLIN) != 0)
                {
                    _kicks[i].Consume();
                    Dispatch(_polled[i]);
                }
            }

            if ((fds[0].Revents & Native.POLLIN) != 0)
            {
                _wake.Consume();
                return true;
            }

            return false;
        }
        finally
        {
            foreach (var handle in _held)
            {
                handle.DangerousRelease();
            }
        }
    }

    /// <summary>Adds <paramref name="eventFd"/> to the poll set, keeping its descriptor open while it is polled.</summary>
    private static unsafe bool TryHold(EventFd eventFd, List<SafeHandle> held, Native.PollFd* fds, ref int count)
    {
        bool added = false;
        try
        {
            eventFd.Handle.DangerousAddRef(ref added);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }

        held.Add(eventFd.Handle);
        fds[count++] = new Native.PollFd { Fd = (int)eventFd.Handle.DangerousGetHandle(), Events = Native.POLLIN };
        return true;
    }

    private void Dispatch(SplitVirtqueue queue)
    {
        if (_ioThread is null)
        {
            _process(queue);
        }
        else
        {
            _ioThread.Post(_processOnIoThread, queue);
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _wake.Signal();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }

        _wake.Dispose();
    }
}
