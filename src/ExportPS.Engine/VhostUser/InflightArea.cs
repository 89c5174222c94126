using System.Runtime.InteropServices;
using ExportPS.Engine.Interop;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.VhostUser;

/// <summary>
/// The shared memory of VHOST_USER_PROTOCOL_F_INFLIGHT_SHMEM (vhost-user.rst, "Inflight I/O tracking"): the back-end
/// creates it (GET_INFLIGHT_FD), the front-end keeps it across a back-end reconnect and hands it back
/// (SET_INFLIGHT_FD), so the new connection knows which requests were taken and not completed. Each queue has one
/// 64-byte aligned part: a header {features u64, version u16, desc_num u16, last_batch_head u16, used_idx u16} then
/// desc_num descriptor states {inflight u8, padding[5], next u16, counter u64}.
/// </summary>
public sealed unsafe class InflightArea : IDisposable
{
    public const int HeaderLength = 16;
    public const int DescriptorStateLength = 16;
    private const int Alignment = 64;

    private readonly nint _address;
    private readonly nuint _length;
    private readonly ulong _queueLength;
    private int _disposed;

    private InflightArea(nint address, nuint length, ushort numQueues, ushort queueSize)
    {
        _address = address;
        _length = length;
        NumQueues = numQueues;
        QueueSize = queueSize;
        _queueLength = QueuePartLength(queueSize);
    }

    public ushort NumQueues { get; }

    public ushort QueueSize { get; }

    /// <summary>Bytes one queue's part takes: its header and states, rounded up to 64 bytes.</summary>
    public static ulong QueuePartLength(ushort queueSize) =>
        ((HeaderLength + ((ulong)DescriptorStateLength * queueSize)) + Alignment - 1) & ~(ulong)(Alignment - 1);

    /// <summary>
    /// GET_INFLIGHT_FD: a zeroed memfd for <paramref name="numQueues"/> queues of <paramref name="queueSize"/> entries,
    /// mapped; <paramref name="fd"/> goes to the front-end. Null and a reason when the request is unusable.
    /// </summary>
    public static InflightArea? TryCreate(ushort numQueues, ushort queueSize, out SafeFileHandle? fd, out string? error)
    {
        fd = null;
        if (numQueues == 0 || queueSize == 0 || queueSize > SplitVirtqueue.MaxSize)
        {
            error = $"inflight area for {numQueues} queues of {queueSize} entries is not possible";
            return null;
        }

        ulong length = QueuePartLength(queueSize) * numQueues;
        var memfd = Native.OwnedHandle(Native.MemFdCreate("exportps-vhost-inflight", Native.MFD_CLOEXEC), "memfd_create");
        if (Native.FTruncate(memfd, (long)length) != 0)
        {
            error = "ftruncate of the inflight memfd failed: " + Native.ErrorText(Marshal.GetLastPInvokeError());
            memfd.Dispose();
            return null;
        }

        var area = TryMap(memfd, new InflightPayload(length, 0, numQueues, queueSize), out error);
        if (area is null)
        {
            memfd.Dispose();
            return null;
        }

        for (int i = 0; i < numQueues; i++)
        {
            *(ushort*)(area.Queue(i) + 10) = queueSize;
        }

        fd = memfd;
        return area;
    }

    /// <summary>SET_INFLIGHT_FD: maps the area the front-end kept; it must hold every queue it describes.</summary>
    public static InflightArea? TryMap(SafeFileHandle fd, InflightPayload payload, out string? error)
    {
        error = null;
        if (payload.NumQueues == 0 || payload.QueueSize == 0 || payload.QueueSize > SplitVirtqueue.MaxSize
            || payload.MmapSize < QueuePartLength(payload.QueueSize) * payload.NumQueues || payload.MmapSize > int.MaxValue
            || payload.MmapOffset % (ulong)Environment.SystemPageSize != 0 || payload.MmapOffset > long.MaxValue)
        {
            error = $"inflight area of {payload.MmapSize} bytes at {payload.MmapOffset} for {payload.NumQueues} queues of {payload.QueueSize} entries is unusable";
            return null;
        }

        nint address = Native.MMap(0, (nuint)payload.MmapSize, Native.PROT_READ | Native.PROT_WRITE, Native.MAP_SHARED, fd, (long)payload.MmapOffset);
        if (address == Native.MapFailed)
        {
            error = "mmap of the inflight area failed: " + Native.ErrorText(Marshal.GetLastPInvokeError());
            return null;
        }

        return new InflightArea(address, (nuint)payload.MmapSize, payload.NumQueues, payload.QueueSize);
    }

    /// <summary>The start of queue <paramref name="index"/>'s part; null for a queue the area does not hold.</summary>
    public byte* Queue(int index) => index < NumQueues ? (byte*)_address + ((ulong)index * _queueLength) : null;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Native.MUnmap(_address, _length);
        }
    }
}
