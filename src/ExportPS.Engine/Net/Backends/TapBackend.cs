using System.Runtime.InteropServices;
using ExportPS.Engine.Interop;
using ExportPS.Engine.Logging;
using ExportPS.Engine.VhostUser;
using Microsoft.Extensions.Logging;

namespace ExportPS.Engine.Net.Backends;

/// <summary>
/// The backend of tap netdevs: every queue of the interface has a reader thread (in poll(2) on the tap and a stop
/// eventfd: .NET has no async wait on a tap descriptor) that hands each frame read to the netdev, and a
/// <see cref="QueuedFrameWriter"/> that writes delivered frames. A frame always goes to the same queue for the same
/// pair of Ethernet addresses, so a flow keeps its order. With a virtio-net header on the tap the header is stripped
/// on the way in and an empty one added on the way out. On Dispose the down script runs while the interface still exists.
/// </summary>
internal sealed class TapBackend : INetWorkerBackend
{
    private const int EthernetAddressesLength = 12;

    private readonly Netdev _owner;
    private readonly TapDevice[] _queues;
    private readonly QueuedFrameWriter[] _writers;
    private readonly Thread[] _readers;
    private readonly EventFd _stop = EventFd.Create();
    private readonly Action? _downScript;
    private volatile bool _stopped;
    private int _interfaceGone; // 1 once a reader found the interface gone

    /// <param name="type">"tap", or "bridge" for the bridge netdev's tap.</param>
    /// <param name="owner">The netdev frames from the interface go to.</param>
    /// <param name="queues">The interface's queues (one unless multiqueue); the backend owns them.</param>
    /// <param name="downScript">Run on Dispose before the queues are closed, if any.</param>
    public TapBackend(string type, Netdev owner, IReadOnlyList<TapDevice> queues, Action? downScript)
    {
        Type = type;
        _owner = owner;
        _queues = [.. queues];
        _downScript = downScript;
        _writers = new QueuedFrameWriter[_queues.Length];
        _readers = new Thread[_queues.Length];
        for (int i = 0; i < _queues.Length; i++)
        {
            var queue = _queues[i];
            var buffer = new byte[queue.VnetHeaderLength + NetFrameLimits.MaxFrameLength];
            _writers[i] = new QueuedFrameWriter($"netdev {owner.Id} tx{i}", frame => WriteFrame(queue, buffer, frame));
            _readers[i] = new Thread(() => ReadLoop(queue)) { IsBackground = true, Name = $"netdev {owner.Id} rx{i}" };
        }
    }

    public string Type { get; }

    /// <summary>The interface name, as the kernel has it.</summary>
    public string InterfaceName => _queues[0].Name;

    /// <summary>False once the interface is gone under the netdev (deleted, or with the network namespace it was in).</summary>
    public bool Connected => Volatile.Read(ref _interfaceGone) == 0;

    public void Start()
    {
        foreach (var writer in _writers)
            writer.Start();
        foreach (var reader in _readers)
            reader.Start();
    }

    public bool TryReceive(ReadOnlySpan<byte> frame, out NetDropReason reason)
    {
        reason = NetDropReason.QueueFull;
        return _writers[QueueOf(frame)].TryEnqueue(frame);
    }

    /// <summary>A flow (a pair of Ethernet addresses) always maps to the same queue.</summary>
    private int QueueOf(ReadOnlySpan<byte> frame)
    {
        if (_writers.Length == 1)
            return 0;
        int hash = 0;
        foreach (byte b in frame[..Math.Min(frame.Length, EthernetAddressesLength)])
            hash = (hash * 31) + b;
        return (int)((uint)hash % (uint)_writers.Length);
    }

    /// <summary>A tap carries no link state of its own that ExportPS sets (QEMU's tap leaves the interface's carrier alone too).</summary>
    public void LinkStatusChanged(bool up)
    {
    }

    private static unsafe void WriteFrame(TapDevice queue, byte[] buffer, ReadOnlySpan<byte> frame)
    {
        int headerLength = queue.VnetHeaderLength;
        VirtioNetHeader.WriteEmpty(buffer, headerLength);
        frame.CopyTo(buffer.AsSpan(headerLength));
        fixed (byte* data = buffer)
        {
            // A frame the interface refuses (down, or too long for it) is lost as on a wire; EINTR is tried again.
            while (Native.Write(queue.Handle, data, (nuint)(headerLength + frame.Length)) < 0 && Marshal.GetLastPInvokeError() == Native.EINTR)
            {
            }
        }
    }

    private unsafe void ReadLoop(TapDevice queue)
    {
        var buffer = new byte[queue.VnetHeaderLength + DatagramFraming.ReceiveBufferLength(NetFrameLimits.MaxFrameLength)];
        var fds = stackalloc Native.PollFd[2];
        fds[0] = new Native.PollFd { Fd = (int)queue.Handle.DangerousGetHandle(), Events = Native.POLLIN };
        fds[1] = new Native.PollFd { Fd = (int)_stop.Handle.DangerousGetHandle(), Events = Native.POLLIN };
        while (!_stopped)
        {
            if (Native.Poll(fds, 2, -1) < 0 || fds[1].Revents != 0)
                continue;
            if (fds[0].Revents == 0)
                continue;
            nint read;
            fixed (byte* data = buffer)
                read = Native.Read(queue.Handle, data, (nuint)buffer.Length);
            if (read < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                if (errno is Native.EINTR or Native.EAGAIN)
                    continue;
                if (Interlocked.Exchange(ref _interfaceGone, 1) == 0)
                    _owner.Loggers.CreateLogger(NetdevLog.Category).TapInterfaceGone(_owner.Id, InterfaceName, Marshal.GetPInvokeErrorMessage(errno));
                return;
            }

            if (VirtioNetHeader.TryStrip(buffer.AsSpan(0, (int)read), queue.VnetHeaderLength, out var frame, out var reason))
                _owner.SendReceived(frame);
            else
                _owner.RecordSendDrop(reason);
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _stop.Signal();
        foreach (var reader in _readers)
        {
            if (reader.IsAlive)
                reader.Join();
        }

        foreach (var writer in _writers)
            writer.Dispose();
        _downScript?.Invoke();
        foreach (var queue in _queues)
            queue.Dispose();
        _stop.Dispose();
    }
}
