using System.Diagnostics;
using System.Runtime.InteropServices;
using ExportPS.Engine.Interop;
using ExportPS.Engine.Net.Backends;
using ExportPS.Engine.VhostUser;

namespace ExportPS.Engine.Net.Slirp;

/// <summary>
/// The backend of user netdevs: one libslirp instance and the one thread that runs it. libslirp is not thread safe, so
/// frames delivered by the peer (from any thread) wait in a queue and a wake eventfd brings the thread round to feed
/// them to slirp_input; the thread's poll(2) covers libslirp's sockets, the wake eventfd and the nearest timer.
/// Frames libslirp sends go to the netdev (padded to Ethernet's minimum, as QEMU pads them for a NIC). The instance is
/// set up on the caller's thread (so a refused forward fails netdev_add), handed to the loop thread by
/// <see cref="Start"/>, and cleaned up by <see cref="Dispose"/> once that thread has ended.
/// </summary>
internal sealed unsafe class SlirpBackend : INetWorkerBackend
{
    public const string TypeName = "user";

    private const int MinimumFrameLength = 60;
    private const int QueueCapacity = 256;

    private readonly Netdev _owner;
    private readonly NetFrameQueue _inbound = new(QueueCapacity);
    private readonly EventFd _wake = EventFd.Create();
    private readonly SlirpTimers _timers = new();
    private readonly NativeStrings _strings = new();
    private readonly long _clockOrigin = Stopwatch.GetTimestamp();
    private readonly Thread _thread;
    private readonly Action<int, nint> _fireTimer;
    private GCHandle _self;
    private nint _slirp;
    private Native.PollFd[] _pollFds = new Native.PollFd[16];
    private int _pollCount;
    private volatile bool _stopped;

    public SlirpBackend(Netdev owner, UserNetwork network, Model.UserNetdevOptions options)
    {
        _owner = owner;
        _self = GCHandle.Alloc(this);
        _fireTimer = (id, callbackOpaque) => SlirpNative.HandleTimer(_slirp, id, callbackOpaque);
        _thread = new Thread(Run) { IsBackground = true, Name = $"netdev {owner.Id} slirp" };
        try
        {
            _slirp = SlirpSetup.Create(network, options, _strings, GCHandle.ToIntPtr(_self));
        }
        catch
        {
            Release();
            throw;
        }
    }

    public string Type => TypeName;

    /// <summary>The virtual network is always there.</summary>
    public bool Connected => true;

    public bool CanReceive => _inbound.Count < _inbound.Capacity;

    public void Start() => _thread.Start();

    public bool TryReceive(ReadOnlySpan<byte> frame, out NetDropReason reason)
    {
        reason = NetDropReason.QueueFull;
        if (!_inbound.TryEnqueue(frame, out bool wasEmpty))
            return false;
        if (wasEmpty)
            _wake.Signal();
        return true;
    }

    /// <summary>libslirp has no link state; the netdev's own link drops frames both ways.</summary>
    public void LinkStatusChanged(bool up)
    {
    }

    private long ClockNanoseconds => (long)Stopwatch.GetElapsedTime(_clockOrigin).TotalNanoseconds;

    private long ClockMilliseconds => ClockNanoseconds / 1_000_000;

    private void Run()
    {
        nint opaque = GCHandle.ToIntPtr(_self);
        while (!_stopped)
        {
            _pollCount = 0;
            AddPollFd((int)_wake.Handle.DangerousGetHandle(), Native.POLLIN);
            uint slirpTimeout = uint.MaxValue;
            SlirpNative.PollFdsFill(_slirp, &slirpTimeout, &AddPoll, opaque);
            int ready;
            fixed (Native.PollFd* fds = _pollFds)
                ready = Native.Poll(fds, (nuint)_pollCount, WaitMilliseconds(slirpTimeout));
            if (ready < 0)
            {
                for (int i = 0; i < _pollCount; i++)
                    _pollFds[i].Revents = 0;
            }

            SlirpNative.PollFdsPoll(_slirp, ready < 0 ? 1 : 0, &GetRevents, opaque);
            _wake.Consume();
            while (!_stopped && _inbound.TryDequeue(out var frame))
            {
                using (frame)
                {
                    fixed (byte* data = frame.Span)
                        SlirpNative.Input(_slirp, data, frame.Length);
                }
            }

            _timers.FireDue(ClockMilliseconds, _fireTimer);
        }
    }

    /// <summary>libslirp's wait (UINT32_MAX: none) cut short by the nearest timer; -1 waits until woken.</summary>
    private int WaitMilliseconds(uint slirpTimeout)
    {
        long? wait = slirpTimeout == uint.MaxValue ? null : slirpTimeout;
        if (_timers.MillisecondsUntilNext(ClockMilliseconds) is { } timer)
            wait = Math.Min(wait ?? long.MaxValue, timer);
        return wait is { } ms ? (int)Math.Min(ms, int.MaxValue) : -1;
    }

    private int AddPollFd(int fd, short events)
    {
        if (_pollCount == _pollFds.Length)
            Array.Resize(ref _pollFds, _pollFds.Length * 2);
        _pollFds[_pollCount] = new Native.PollFd { Fd = fd, Events = events };
        return _pollCount++;
    }

    private static SlirpBackend Of(nint opaque) => (SlirpBackend)GCHandle.FromIntPtr(opaque).Target!;

    [UnmanagedCallersOnly]
    private static int AddPoll(int fd, int slirpEvents, nint opaque) => Of(opaque).AddPollFd(fd, SlirpPollEvents.ToPoll(slirpEvents));

    [UnmanagedCallersOnly]
    private static int GetRevents(int index, nint opaque)
    {
        var backend = Of(opaque);
        return index >= 0 && index < backend._pollCount ? SlirpPollEvents.FromPoll(backend._pollFds[index].Revents) : 0;
    }

    /// <summary>send_packet: a frame from the virtual network, passed on to the netdev's peer.</summary>
    [UnmanagedCallersOnly]
    internal static nint SendPacket(byte* packet, nuint length, nint opaque)
    {
        var frame = new ReadOnlySpan<byte>(packet, (int)length);
        var owner = Of(opaque)._owner;
        try
        {
            if (frame.Length >= MinimumFrameLength)
            {
                owner.Send(frame);
            }
            else
            {
                Span<byte> padded = stackalloc byte[MinimumFrameLength];
                padded.Clear();
                frame.CopyTo(padded);
                owner.Send(padded);
            }

            return (nint)length;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // An exception must not unwind into C: the frame is lost, as libslirp's contract allows.
            return -1;
        }
    }

    /// <summary>guest_error: QEMU logs these only under -d guest_errors; ExportPS does not log them.</summary>
    [UnmanagedCallersOnly]
    internal static void GuestError(byte* message, nint opaque)
    {
    }

    [UnmanagedCallersOnly]
    internal static long ClockGetNs(nint opaque) => Of(opaque).ClockNanoseconds;

    [UnmanagedCallersOnly]
    internal static nint TimerNewOpaque(int id, nint callbackOpaque, nint opaque) => Of(opaque)._timers.Create(id, callbackOpaque);

    [UnmanagedCallersOnly]
    internal static void TimerFree(nint timer, nint opaque) => Of(opaque)._timers.Free(timer);

    [UnmanagedCallersOnly]
    internal static void TimerMod(nint timer, long dueMs, nint opaque) => Of(opaque)._timers.Modify(timer, dueMs);

    /// <summary>
    /// register_poll_fd, unregister_poll_fd and notify: the loop asks libslirp for its descriptors on every round and
    /// runs on the only thread that could be kicked, so none needs to do anything.
    /// </summary>
    [UnmanagedCallersOnly]
    internal static void PollFdChanged(int fd, nint opaque)
    {
    }

    [UnmanagedCallersOnly]
    internal static void Notify(nint opaque)
    {
    }

    public void Dispose()
    {
        _stopped = true;
        _wake.Signal();
        if (_thread.IsAlive)
            _thread.Join();
        Release();
    }

    private void Release()
    {
        if (_slirp != 0)
            SlirpNative.Cleanup(_slirp);
        _slirp = 0;
        _strings.Dispose();
        _inbound.Dispose();
        _wake.Dispose();
        if (_self.IsAllocated)
            _self.Free();
    }
}
