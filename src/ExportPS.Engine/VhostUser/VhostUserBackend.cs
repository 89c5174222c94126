using System.Buffers.Binary;
using ExportPS.Engine.Net;
using Microsoft.Win32.SafeHandles;

namespace ExportPS.Engine.VhostUser;

/// <summary>
/// The back-end's side of the vhost-user control protocol, without the socket: each parsed message (with its fds) goes
/// through <see cref="HandleAsync"/>, which updates the device state (features, memory table, vrings, status) and says
/// what to reply. A session reads messages from the unix socket, calls this, writes the replies, and polls the kick
/// eventfds of the <see cref="Queues"/> that are <see cref="SplitVirtqueue.Started"/>. Messages are handled one at a
/// time, on one thread; only request completions run elsewhere, and they touch the queues alone.
/// </summary>
public sealed class VhostUserBackend : IDisposable
{
    /// <summary>The protocol features implemented here.</summary>
    public const VhostUserProtocolFeatures OfferedProtocolFeatures =
        VhostUserProtocolFeatures.Mq | VhostUserProtocolFeatures.ReplyAck | VhostUserProtocolFeatures.Config
        | VhostUserProtocolFeatures.ResetDevice | VhostUserProtocolFeatures.ConfigureMemSlots | VhostUserProtocolFeatures.Status
        | VhostUserProtocolFeatures.InflightShmem;

    private readonly IVhostUserDevice _device;
    private SplitVirtqueue[] _queues;
    private InflightArea? _inflight;

    public VhostUserBackend(IVhostUserDevice device)
    {
        _device = device;
        _queues = CreateQueues();
    }

    public IReadOnlyList<SplitVirtqueue> Queues => _queues;

    /// <summary>Every virtio feature bit offered: the device's and the vhost-user protocol-features bit.</summary>
    public ulong OfferedFeatures => _device.Features | VirtioFeatures.ProtocolFeatures;

    public ulong Features { get; private set; }

    /// <summary>The protocol features offered: those implemented here that the device does not withhold, and the device's own.</summary>
    public VhostUserProtocolFeatures OfferedProtocol =>
        (OfferedProtocolFeatures & ~_device.WithheldProtocolFeatures) | _device.DeviceProtocolFeatures;

    public VhostUserProtocolFeatures ProtocolFeatures { get; private set; }

    public bool HasOwner { get; private set; }

    /// <summary>The virtio device status byte the front-end last set (SET_STATUS).</summary>
    public byte DeviceStatus { get; private set; }

    public GuestMemory Memory { get; private set; } = GuestMemory.CreateEmpty();

    /// <summary>How long GET_VRING_BASE waits for a ring's requests in flight before it abandons them.</summary>
    public TimeSpan StopTimeout { get; init; } = DefaultStopTimeout;

    public static readonly TimeSpan DefaultStopTimeout = TimeSpan.FromSeconds(5);

    private SplitVirtqueue[] CreateQueues() => Enumerable.Range(0, _device.NumQueues).Select(i => new SplitVirtqueue(i)).ToArray();

    /// <summary>Handles one message and disposes it (fds not kept are closed).</summary>
    public async ValueTask<VhostUserOutcome> HandleAsync(VhostUserMessage message)
    {
        using (message)
        {
            VhostUserReply? reply = null;
            string? error;
            try
            {
                (reply, error) = await DispatchAsync(message).ConfigureAwait(false);
            }
            catch (IOException e)
            {
                error = e.Message;
            }

            if (reply is null && message.Header.NeedsReply && (ProtocolFeatures & VhostUserProtocolFeatures.ReplyAck) != 0)
            {
                return new VhostUserOutcome(new VhostUserReply(message.Request, new U64Payload(error is null ? 0UL : 1UL)), error)
                {
                    FailureReported = error is not null,
                };
            }

            return new VhostUserOutcome(reply, error) { FailureReported = error is not null && reply is not null };
        }
    }

    private async ValueTask<(VhostUserReply? Reply, string? Error)> DispatchAsync(VhostUserMessage message)
    {
        var request = message.Request;
        switch (message.Payload)
        {
            case EmptyPayload:
                return Getter(request);
            case U64Payload { Value: var value }:
                return Setter(request, value);
            case VringStatePayload state when request == VhostUserRequest.GetVringBase:
                return await GetVringBaseAsync(state.Index).ConfigureAwait(false);
            case VringStatePayload state:
                return (null, SetVringState(request, state));
            case VringFdPayload vringFd:
                return (null, SetVringFd(message, vringFd));
            case VringAddressPayload address:
                return (null, SetVringAddress(address));
            case MemoryTablePayload table:
                return (null, SetMemoryTable(message, table));
            case MemoryRegionPayload region when request == VhostUserRequest.AddMemReg:
                return (null, AddRegion(message, region.Region));
            case MemoryRegionPayload region:
                return (null, RemoveRegion(region.Region));
            case InflightPayload inflight when request == VhostUserRequest.GetInflightFd:
                return GetInflightFd(inflight);
            case InflightPayload inflight:
                return (null, SetInflightFd(message, inflight));
            case ConfigPayload config when request == VhostUserRequest.GetConfig:
                var window = _device.ReadConfig(config.Offset, config.Data.Length);
                return window is null
                    ? (new VhostUserReply(request, config with { Data = [] }), $"config space window at {config.Offset} of {config.Data.Length} bytes is out of range")
                    : (new VhostUserReply(request, config with { Data = window }), null);
            default:
                return (null, $"vhost-user request {request} is not supported by this back-end");
        }
    }

    private (VhostUserReply? Reply, string? Error) Getter(VhostUserRequest request)
    {
        ulong? value = request switch
        {
            VhostUserRequest.GetFeatures => OfferedFeatures,
            VhostUserRequest.GetProtocolFeatures => (ulong)OfferedProtocol,
            VhostUserRequest.GetQueueNum => (ulong)_queues.Length,
            VhostUserRequest.GetMaxMemSlots => GuestMemory.MaxSlots,
            VhostUserRequest.GetStatus => DeviceStatus,
            _ => null,
        };
        if (value is { } answer)
        {
            return (new VhostUserReply(request, new U64Payload(answer)), null);
        }

        switch (request)
        {
            case VhostUserRequest.SetOwner:
                HasOwner = true;
                return (null, null);
            case VhostUserRequest.ResetOwner:
            case VhostUserRequest.ResetDevice:
                Reset();
                return (null, null);
            default:
                return (null, $"vhost-user request {request} is not supported by this back-end");
        }
    }

    private (VhostUserReply? Reply, string? Error) Setter(VhostUserRequest request, ulong value)
    {
        switch (request)
        {
            case VhostUserRequest.SetFeatures:
                if ((value & ~OfferedFeatures) != 0)
                {
                    return (null, $"features 0x{value & ~OfferedFeatures:x} were not offered");
                }

                Features = value;
                _device.FeaturesNegotiated(value);
                foreach (var queue in _queues)
                {
                    queue.EventIdx = (value & VirtioFeatures.RingEventIdx) != 0;
                    queue.IndirectDescriptors = (value & VirtioFeatures.RingIndirectDesc) != 0;
                }

                return (null, null);
            case VhostUserRequest.SetProtocolFeatures:
                if ((value & ~(ulong)OfferedProtocol) != 0)
                {
                    return (null, $"protocol features 0x{value & ~(ulong)OfferedProtocol:x} were not offered");
                }

                ProtocolFeatures = (VhostUserProtocolFeatures)value;
                return (null, null);
            case VhostUserRequest.SetStatus:
                if (value > byte.MaxValue)
                {
                    return (null, $"device status 0x{value:x} is not a byte");
                }

                DeviceStatus = (byte)value;
                return (null, null);
            case VhostUserRequest.SendRarp:
                return (null, SendRarp(value));
            default:
                return (null, $"vhost-user request {request} is not supported by this back-end");
        }
    }

    /// <summary>SEND_RARP carries the MAC in the first six bytes of its u64, in memory order.</summary>
    private string? SendRarp(ulong value)
    {
        if ((ProtocolFeatures & VhostUserProtocolFeatures.Rarp) == 0)
        {
            return "SEND_RARP without the RARP protocol feature";
        }

        Span<byte> bytes = stackalloc byte[sizeof(ulong)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return _device.SendRarp(MacAddress.FromBytes(bytes[..MacAddress.Length]));
    }

    private SplitVirtqueue? Queue(uint index) => index < _queues.Length ? _queues[index] : null;

    private static string NoSuchQueue(uint index) => $"vring {index} does not exist";

    private string? SetVringState(VhostUserRequest request, VringStatePayload state)
    {
        var queue = Queue(state.Index);
        if (queue is null)
        {
            return NoSuchQueue(state.Index);
        }

        switch (request)
        {
            case VhostUserRequest.SetVringNum:
                return queue.TrySetSize(state.Num) ? null : $"vring {state.Index} size {state.Num} is not a power of two up to {SplitVirtqueue.MaxSize}";
            case VhostUserRequest.SetVringBase:
                if (state.Num > ushort.MaxValue)
                {
                    return $"vring {state.Index} base {state.Num} is not a 16-bit index";
                }

                queue.LastAvailIndex = (ushort)state.Num;
                return null;
            case VhostUserRequest.SetVringEnable:
                if (state.Num > 1)
                {
                    return $"vring {state.Index} enable value {state.Num} is neither 0 nor 1";
                }

                queue.Enabled = state.Num == 1;
                return null;
            default:
                return $"vhost-user request {request} is not supported by this back-end";
        }
    }

    /// <summary>
    /// GET_VRING_BASE stops the ring: the reply waits until its requests in flight are completed, but no longer than
    /// <see cref="StopTimeout"/> (the front-end waits for the reply); requests still running then are abandoned and the
    /// reply reports it as a failure.
    /// </summary>
    private async ValueTask<(VhostUserReply? Reply, string? Error)> GetVringBaseAsync(uint index)
    {
        var queue = Queue(index);
        if (queue is null)
        {
            return (new VhostUserReply(VhostUserRequest.GetVringBase, new VringStatePayload(index, 0)), NoSuchQueue(index));
        }

        var stop = queue.StopAsync();
        int abandoned = 0;
        if (await Task.WhenAny(stop, Task.Delay(StopTimeout)).ConfigureAwait(false) != stop)
        {
            abandoned = queue.AbandonStop();
        }

        ushort vringBase = await stop.ConfigureAwait(false);
        queue.SetKick(null);
        string? error = abandoned == 0
            ? null
            : $"vring {index}: {abandoned} requests were still in flight {StopTimeout.TotalSeconds:0.###} s after GET_VRING_BASE and were abandoned";
        return (new VhostUserReply(VhostUserRequest.GetVringBase, new VringStatePayload(index, vringBase)), error);
    }

    /// <summary>
    /// The front-end is gone: every ring stops taking requests, and the requests in flight get up to
    /// <see cref="StopTimeout"/> (or until <paramref name="cancellation"/>) to complete. Returns how many are still
    /// running; <see cref="Dispose"/> abandons those.
    /// </summary>
    public async Task<int> DrainAsync(CancellationToken cancellation)
    {
        var stops = Task.WhenAll(_queues.Select(queue => queue.StopAsync()));
        try
        {
            await stops.WaitAsync(StopTimeout, cancellation).ConfigureAwait(false);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            // Bounded: what is still running is abandoned.
        }

        return _queues.Sum(queue => queue.InFlight);
    }

    private string? SetVringAddress(VringAddressPayload address)
    {
        var queue = Queue(address.Index);
        if (queue is null)
        {
            return NoSuchQueue(address.Index);
        }

        if ((address.Flags & VringAddressPayload.LogFlag) != 0)
        {
            return $"vring {address.Index}: dirty logging was not offered";
        }

        queue.Addresses = address;
        return null;
    }

    /// <summary>
    /// SET_VRING_KICK starts the ring (libvhost-user's rule): without protocol features it is enabled at once, with them
    /// it waits for SET_VRING_ENABLE. CALL and ERR store their eventfd (or drop it: no notifications); a new call eventfd
    /// is signalled once (see <see cref="SplitVirtqueue.SetCall"/>).
    /// </summary>
    private string? SetVringFd(VhostUserMessage message, VringFdPayload payload)
    {
        var queue = Queue(payload.Index);
        if (queue is null)
        {
            return NoSuchQueue(payload.Index);
        }

        var eventFd = payload.NoFd ? null : new EventFd(message.TakeFd(0));
        switch (message.Request)
        {
            case VhostUserRequest.SetVringCall:
                try
                {
                    queue.SetCall(eventFd);
                    return null;
                }
                catch (IOException e)
                {
                    return $"vring {payload.Index}: the call descriptor cannot be signalled: {e.Message}";
                }

            case VhostUserRequest.SetVringErr:
                queue.SetErr(eventFd);
                return null;
        }

        if (eventFd is null)
        {
            return $"vring {payload.Index}: polling without a kick eventfd is not supported";
        }

        queue.SetKick(eventFd);
        if ((Features & VirtioFeatures.ProtocolFeatures) == 0)
        {
            queue.Enabled = true;
        }

        return queue.TryStart(Memory, out string? error) ? null : error;
    }

    private string? SetMemoryTable(VhostUserMessage message, MemoryTablePayload table)
    {
        var regions = new List<GuestMemoryRegion>();
        try
        {
            for (int i = 0; i < table.Regions.Count; i++)
            {
                using var fd = message.TakeFd(i);
                var region = GuestMemoryRegion.TryMap(fd, table.Regions[i], out string? error);
                if (region is null)
                {
                    return error;
                }

                regions.Add(region);
            }

            var memory = GuestMemory.TryCreate(regions, out string? overlap);
            if (memory is null)
            {
                return overlap;
            }

            ReplaceMemory(memory);
            return null;
        }
        finally
        {
            // The table holds its own references; a table that was refused leaves none, and the mappings go.
            foreach (var region in regions)
            {
                region.Dispose();
            }
        }
    }

    private string? AddRegion(VhostUserMessage message, MemoryRegionDescription description)
    {
        using var fd = message.TakeFd(0);
        using var region = GuestMemoryRegion.TryMap(fd, description, out string? error);
        if (region is null)
        {
            return error;
        }

        var memory = Memory.TryAdd(region, out error);
        if (memory is null)
        {
            return error;
        }

        ReplaceMemory(memory);
        return null;
    }

    private string? RemoveRegion(MemoryRegionDescription description)
    {
        var memory = Memory.TryRemove(description, out _);
        if (memory is null)
        {
            return $"no guest memory region at 0x{description.GuestAddress:x} of {description.Size} bytes to remove";
        }

        ReplaceMemory(memory);
        return null;
    }

    /// <summary>Started rings move to the new table; requests in flight keep the old one until they complete.</summary>
    private void ReplaceMemory(GuestMemory memory)
    {
        var old = Memory;
        Memory = memory;
        foreach (var queue in _queues)
        {
            queue.UpdateMemory(memory);
        }

        old.Release();
    }

    /// <summary>GET_INFLIGHT_FD: a new, zeroed area for the queues the front-end describes, tracked from now on; its fd goes with the reply.</summary>
    private (VhostUserReply? Reply, string? Error) GetInflightFd(InflightPayload request)
    {
        var area = InflightArea.TryCreate(request.NumQueues, request.QueueSize, out var fd, out string? error);
        if (area is null)
        {
            return (new VhostUserReply(VhostUserRequest.GetInflightFd, new InflightPayload(0, 0, 0, 0)), error);
        }

        ReplaceInflight(area);
        var payload = new InflightPayload(InflightArea.QueuePartLength(area.QueueSize) * area.NumQueues, 0, area.NumQueues, area.QueueSize);
        return (new VhostUserReply(VhostUserRequest.GetInflightFd, payload) { Fd = fd }, null);
    }

    /// <summary>SET_INFLIGHT_FD: the area the front-end kept (from this or an earlier connection) tracks the queues.</summary>
    private string? SetInflightFd(VhostUserMessage message, InflightPayload payload)
    {
        using var fd = message.TakeFd(0);
        var area = InflightArea.TryMap(fd, payload, out string? error);
        if (area is null)
        {
            return error;
        }

        ReplaceInflight(area);
        return null;
    }

    /// <summary>Queues move to the new area under their locks, so nothing touches the old one when it is unmapped.</summary>
    private void ReplaceInflight(InflightArea? area)
    {
        var old = _inflight;
        _inflight = area;
        AttachInflight();
        old?.Dispose();
    }

    private unsafe void AttachInflight()
    {
        for (int i = 0; i < _queues.Length; i++)
        {
            var part = _inflight is null ? null : _inflight.Queue(i);
            _queues[i].SetInflight(part, part is null ? 0 : _inflight!.QueueSize);
        }
    }

    /// <summary>
    /// RESET_DEVICE (and the older RESET_OWNER): the rings stopped and unconfigured, the status cleared; the negotiated
    /// features and the memory table stay, as with libvhost-user. Requests in flight are abandoned: they publish nothing
    /// into the reset rings.
    /// </summary>
    private unsafe void Reset()
    {
        foreach (var queue in _queues)
        {
            queue.SetInflight(null, 0);
            queue.Dispose();
        }

        _queues = CreateQueues();
        foreach (var queue in _queues)
        {
            queue.EventIdx = (Features & VirtioFeatures.RingEventIdx) != 0;
            queue.IndirectDescriptors = (Features & VirtioFeatures.RingIndirectDesc) != 0;
        }

        AttachInflight();

        DeviceStatus = 0;
    }

    public void Dispose()
    {
        foreach (var queue in _queues)
        {
            queue.Dispose();
        }

        _inflight?.Dispose();
        Memory.Release();
    }
}
