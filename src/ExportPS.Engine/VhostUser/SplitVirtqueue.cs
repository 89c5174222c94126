namespace ExportPS.Engine.VhostUser;

/// <summary>
/// The device side of a split virtqueue (virtio 1.x, 2.7): descriptor table, available ring (driver to device) and used
/// ring (device to driver) in guest memory, located through the front-end's addresses.
/// <para>
/// The vhost-user messages configure it (size, addresses, base index, eventfds, enable) and <see cref="TryStart"/> maps
/// the rings. Requests are taken with <see cref="TryPop"/> (on the thread that handles kicks) and handed back with
/// <see cref="Complete"/> from any thread; both take the queue's lock, the ring indexes being shared state. A ring that
/// breaks the protocol itself (an available index that jumps too far, a head beyond the table) stops the queue
/// (<see cref="BrokenReason"/>); a bad chain only fails its request.
/// </para>
/// <para>
/// Requests still in flight when the queue is abandoned (the connection ended, or a stop waited too long for them)
/// belong to an older generation: they complete without touching the rings or the in-flight area, so a front-end that
/// resubmits them (or a reconnected one that took them again) never sees them twice. Their buffers are not written
/// either: a device writes a chain's buffers only inside <see cref="TryBeginGuestWrite"/> and
/// <see cref="EndGuestWrite"/>, which succeeds only for a chain of the current generation, and abandoning waits for the
/// writes already begun; so once a chain is abandoned no byte of guest memory is written for it.
/// </para>
/// </summary>
public sealed unsafe partial class SplitVirtqueue : IDisposable
{
    /// <summary>The largest split queue: 2^15 descriptors.</summary>
    public const int MaxSize = 32768;

    private const ushort AvailNoInterrupt = 1;

    private readonly object _gate = new();

    private GuestMemory? _memory;
    private byte* _descriptors;
    private byte* _available;
    private byte* _used;

    private ushort _usedIndex;
    private ushort _signalledUsed;
    private bool _signalledUsedValid;
    private int _inFlight;
    private int _generation;
    private int _guestWriters;
    private TaskCompletionSource<ushort>? _drained;

    public SplitVirtqueue(int index) => Index = index;

    public int Index { get; }

    /// <summary>Number of descriptors (SET_VRING_NUM); 0 until set.</summary>
    public int Size { get; private set; }

    /// <summary>Ring addresses from SET_VRING_ADDR, in the front-end's address space.</summary>
    public VringAddressPayload? Addresses { get; set; }

    /// <summary>Next available ring entry to take: SET_VRING_BASE sets it, GET_VRING_BASE reports it.</summary>
    public ushort LastAvailIndex { get; set; }

    /// <summary>VIRTIO_F_RING_EVENT_IDX was negotiated: used_event and avail_event suppress notifications.</summary>
    public bool EventIdx { get; set; }

    /// <summary>VIRTIO_F_RING_INDIRECT_DESC was negotiated.</summary>
    public bool IndirectDescriptors { get; set; }

    /// <summary>SET_VRING_ENABLE: whether the device may process the ring.</summary>
    public bool Enabled { get; set; }

    public EventFd? Kick { get; private set; }

    public EventFd? Call { get; private set; }

    public EventFd? Err { get; private set; }

    /// <summary>The rings are mapped and requests are taken.</summary>
    public bool Started { get; private set; }

    /// <summary>Why the ring was stopped as unusable; null while it is healthy.</summary>
    public string? BrokenReason { get; private set; }

    /// <summary>Requests taken and not yet completed.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Requests completed since the queue was created.</summary>
    public long Completed { get; private set; }

    /// <summary>Sets the size; a split queue's size is a power of two up to <see cref="MaxSize"/>.</summary>
    public bool TrySetSize(uint size)
    {
        if (size == 0 || size > MaxSize || (size & (size - 1)) != 0)
        {
            return false;
        }

        Size = (int)size;
        return true;
    }

    public void SetKick(EventFd? kick) => Kick = Replace(Kick, kick);

    /// <summary>
    /// Takes the front-end's call eventfd and signals it once, as libvhost-user does on SET_VRING_CALL. A ring runs from
    /// its kick, and QEMU sends the call after it (again after a reconnect): a completion published in between, or while
    /// the front-end swapped the eventfd, counted as signalled, and a driver with event-idx then waits for a call that
    /// never comes (a guest's receive queue stalled so after its back-end restarted). A spurious call costs the driver
    /// one look at its used ring. Throws IOException when the descriptor is no eventfd that takes a signal.
    /// </summary>
    public void SetCall(EventFd? call)
    {
        Call = Replace(Call, call);
        call?.Signal();
    }

    public void SetErr(EventFd? err) => Err = Replace(Err, err);

    private static EventFd? Replace(EventFd? old, EventFd? replacement)
    {
        old?.Dispose();
        return replacement;
    }

    /// <summary>
    /// Maps the rings in <paramref name="memory"/> and starts taking requests at <see cref="LastAvailIndex"/>; the used
    /// index continues from what the used ring holds. False with a reason when the size or addresses are missing or the
    /// rings are not wholly inside one memory region each, or misaligned.
    /// </summary>
    public bool TryStart(GuestMemory memory, out string? error)
    {
        bool resubmit;
        lock (_gate)
        {
            if (!TryMapRings(memory, out error))
            {
                return false;
            }

            _usedIndex = ReadUsedIndex();
            RecoverInflight();
            _signalledUsedValid = false;
            BrokenReason = null;
            Started = true;
            resubmit = _resubmit.Count > 0;
        }

        // Requests to take again come with no kick from the driver: the ring kicks itself.
        if (resubmit)
        {
            Kick?.Signal();
        }

        return true;
    }

    /// <summary>
    /// The memory table changed: the rings are looked up again in the new one. A started ring that no longer maps is
    /// broken. Requests in flight keep the memory they were taken from.
    /// </summary>
    public void UpdateMemory(GuestMemory memory)
    {
        lock (_gate)
        {
            if (Started && !TryMapRings(memory, out string? error))
            {
                Break(error!);
            }
        }
    }

    private bool TryMapRings(GuestMemory memory, out string? error)
    {
        error = null;
        if (Size == 0 || Addresses is not { } addresses)
        {
            error = $"vring {Index} has no {(Size == 0 ? "size" : "addresses")}";
            return false;
        }

        ulong size = (ulong)Size;
        if (!memory.TryGetUserPointer(addresses.DescriptorTable, 16 * size, out byte* descriptors)
            || !memory.TryGetUserPointer(addresses.AvailableRing, 6 + (2 * size), out byte* available)
            || !memory.TryGetUserPointer(addresses.UsedRing, 6 + (8 * size), out byte* used))
        {
            error = $"vring {Index} lies outside guest memory";
            return false;
        }

        if (((nuint)descriptors & 15) != 0 || ((nuint)available & 1) != 0 || ((nuint)used & 3) != 0)
        {
            error = $"vring {Index} is misaligned";
            return false;
        }

        if (!memory.TryAcquire())
        {
            error = $"vring {Index}: the memory table was released";
            return false;
        }

        _memory?.Release();
        _memory = memory;
        _descriptors = descriptors;
        _available = available;
        _used = used;
        return true;
    }

    /// <summary>
    /// Stops taking requests (GET_VRING_BASE, RESET_DEVICE) and completes with the index to resume from once the
    /// requests in flight are completed (their used entries are still written). The rings are unmapped then.
    /// </summary>
    public Task<ushort> StopAsync()
    {
        lock (_gate)
        {
            Started = false;
            if (_inFlight == 0)
            {
                UnmapRings();
                return Task.FromResult(LastAvailIndex);
            }

            _drained ??= new TaskCompletionSource<ushort>(TaskCreationOptions.RunContinuationsAsynchronously);
            return _drained.Task;
        }
    }

    /// <summary>
    /// A stop (<see cref="StopAsync"/>) that waited long enough: the requests still in flight are abandoned and the stop
    /// completes now. Returns how many were abandoned (0 when the stop completed meanwhile). Requests the in-flight area
    /// marked stay marked, so the front-end can have them taken again.
    /// </summary>
    public int AbandonStop()
    {
        lock (_gate)
        {
            if (Started || _drained is null)
            {
                return 0;
            }

            int abandoned = _inFlight;
            AbandonInFlight();
            _drained.TrySetResult(LastAvailIndex);
            _drained = null;
            return abandoned;
        }
    }

    /// <summary>
    /// The requests in flight now complete without a used entry and write nothing more into their buffers: no new guest
    /// write begins for them, and the ones begun are waited for (they are copies or reads that finish within their call).
    /// Under the lock.
    /// </summary>
    private void AbandonInFlight()
    {
        // Both sides change their counter with a full fence before they read the other's (TryBeginGuestWrite): either
        // the writer sees the new generation and backs off, or this sees the writer and waits for it.
        Interlocked.Increment(ref _generation);
        SpinWait.SpinUntil(() => Volatile.Read(ref _guestWriters) == 0);
    }

    /// <summary>
    /// Begins writing into <paramref name="chain"/>'s buffers: true while the chain is still the driver's to fill (not
    /// abandoned), and the caller may write them until <see cref="EndGuestWrite"/>; false once it was abandoned, when
    /// nothing may be written. An abandonment waits for the writes begun, so each is kept short: a copy, or a read that
    /// finishes within its call. Lock-free: it is on every request's path.
    /// </summary>
    public bool TryBeginGuestWrite(DescriptorChain chain)
    {
        Interlocked.Increment(ref _guestWriters);
        if (Volatile.Read(ref _generation) == chain.Generation)
        {
            return true;
        }

        Interlocked.Decrement(ref _guestWriters);
        return false;
    }

    /// <summary>Ends a write begun with <see cref="TryBeginGuestWrite"/>.</summary>
    public void EndGuestWrite() => Interlocked.Decrement(ref _guestWriters);

    private void UnmapRings()
    {
        _memory?.Release();
        _memory = null;
        _descriptors = null;
        _available = null;
        _used = null;
    }

    private void Break(string reason)
    {
        BrokenReason = reason;
        Started = false;
        if (_inFlight == 0)
        {
            UnmapRings();
        }
    }

    // ---- available ring -------------------------------------------------------------------------------------------

    private ref ushort AvailableIndex => ref *(ushort*)(_available + 2);

    private ushort AvailableEntry(int slot) => *(ushort*)(_available + 4 + (2 * slot));

    /// <summary>used_event: the driver wants a call once the used index passes it (after the available ring entries).</summary>
    private ref ushort UsedEvent => ref *(ushort*)(_available + 4 + (2 * Size));

    // ---- used ring --------------------------------------------------------------------------------------------------

    private ref ushort UsedIndex => ref *(ushort*)(_used + 2);

    /// <summary>avail_event: the device wants a kick once the available index passes it (after the used ring entries).</summary>
    private ref ushort AvailEvent => ref *(ushort*)(_used + 4 + (8 * Size));

    private ushort ReadUsedIndex() => Volatile.Read(ref UsedIndex);

    /// <summary>
    /// Takes the next available request into <paramref name="chain"/>: false when there is none, the ring is not
    /// started or enabled, or it just broke. A chain with a <see cref="DescriptorChain.Fault"/> is still returned: the
    /// caller fails that request and completes it.
    /// </summary>
    public bool TryPop(DescriptorChain chain)
    {
        lock (_gate)
        {
            if (!Started || !Enabled)
            {
                return false;
            }

            if (_resubmit.TryDequeue(out ushort resubmitted))
            {
                Take(chain, resubmitted);
                chain.Resubmitted = true;
                return true;
            }

            // Acquire: the entries and descriptors the driver wrote before publishing the index are visible after it.
            ushort available = Volatile.Read(ref AvailableIndex);
            ushort pending = (ushort)(available - LastAvailIndex);
            if (pending == 0)
            {
                return false;
            }

            if (pending > Size)
            {
                Break($"vring {Index}: available index {available} is {pending} entries ahead of {LastAvailIndex}, more than the queue holds");
                return false;
            }

            ushort head = AvailableEntry(LastAvailIndex & (Size - 1));
            if (head >= Size)
            {
                Break($"vring {Index}: available entry {LastAvailIndex} names descriptor {head}, beyond the {Size} of the table");
                return false;
            }

            LastAvailIndex++;
            if (EventIdx)
            {
                Volatile.Write(ref AvailEvent, LastAvailIndex);
            }

            MarkInflight(head);
            Take(chain, head);
            return true;
        }
    }

    private void Take(DescriptorChain chain, ushort head)
    {
        _memory!.TryAcquire();
        chain.Memory = _memory;
        chain.Generation = _generation;
        _inFlight++;
        chain.Reset(head);
        ReadChain(chain, head);
    }

    /// <summary>
    /// Asks the driver to kick for the next request (event-idx: avail_event is the next index to take) and reports whether
    /// a request arrived meanwhile, in which case the caller pops again rather than waiting for a kick that will not come.
    /// </summary>
    public bool EnableNotification()
    {
        lock (_gate)
        {
            if (!Started || !Enabled)
            {
                return false;
            }

            if (EventIdx)
            {
                Volatile.Write(ref AvailEvent, LastAvailIndex);
            }

            // The store above must be visible before the index is read again, or a kick could be lost between them.
            Interlocked.MemoryBarrier();
            return _resubmit.Count > 0 || Volatile.Read(ref AvailableIndex) != LastAvailIndex;
        }
    }

    // ---- completion -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Returns <paramref name="chain"/> to the driver with <paramref name="written"/> bytes written into its writable
    /// buffers, and signals the call eventfd when the driver asked for it. Callable from any thread.
    /// </summary>
    public void Complete(DescriptorChain chain, uint written) =>
        Complete(new ReadOnlySpan<DescriptorChain>(in chain), new ReadOnlySpan<uint>(in written));

    /// <summary>
    /// Returns several chains at once, in order, with the bytes written into each: their used entries are published
    /// together (one used index store), as a virtio-net receive spread over mergeable buffers needs, since the driver
    /// reads the count of buffers in the first and takes the others right after it.
    /// </summary>
    public void Complete(ReadOnlySpan<DescriptorChain> chains, ReadOnlySpan<uint> written)
    {
        bool notify = false;
        EventFd? call;
        lock (_gate)
        {
            if (_used is not null && chains[0].Generation == _generation)
            {
                BeginInflightCompletion(chains[^1].Head);
                for (int i = 0; i < chains.Length; i++)
                {
                    byte* element = _used + 4 + (8 * ((ushort)(_usedIndex + i) & (Size - 1)));
                    *(uint*)element = chains[i].Head;
                    *(uint*)(element + 4) = written[i];
                }

                _usedIndex += (ushort)chains.Length;

                // Release: the elements (and the data written into the buffers) are visible before the new index.
                Volatile.Write(ref UsedIndex, _usedIndex);
                foreach (var chain in chains)
                {
                    EndInflightCompletion(chain.Head);
                }

                notify = NeedsNotification();
            }

            call = Call;
            Completed += chains.Length;
            foreach (var chain in chains)
            {
                Release(chain);
            }
        }

        if (notify && call is not null)
        {
            try
            {
                call.Signal();
            }
            catch (Exception e) when (e is ObjectDisposedException or IOException)
            {
                // The front-end replaced or dropped the call eventfd meanwhile: nobody waits on this one any more.
            }
        }
    }

    /// <summary>
    /// Gives back <paramref name="chain"/>, the last one taken, unused: the next <see cref="TryPop"/> takes it again (a
    /// virtio-net receive that found too few buffers for its frame leaves them for a later one).
    /// </summary>
    public void Unpop(DescriptorChain chain)
    {
        lock (_gate)
        {
            if (chain.Resubmitted)
            {
                var rest = _resubmit.ToArray();
                _resubmit.Clear();
                _resubmit.Enqueue(chain.Head);
                foreach (ushort head in rest)
                {
                    _resubmit.Enqueue(head);
                }
            }
            else
            {
                UnmarkInflight(chain.Head);
                LastAvailIndex--;
                if (EventIdx && _used is not null)
                {
                    Volatile.Write(ref AvailEvent, LastAvailIndex);
                }
            }

            Release(chain);
        }
    }

    /// <summary>The chain no longer holds its memory; the last one out of a stopped ring unmaps it. Under the lock.</summary>
    private void Release(DescriptorChain chain)
    {
        chain.Memory?.Release();
        chain.Memory = null;
        if (--_inFlight == 0 && !Started)
        {
            UnmapRings();
            _drained?.TrySetResult(LastAvailIndex);
            _drained = null;
        }
    }

    /// <summary>
    /// Whether the driver wants a call for the entries published since the last check: with event-idx, when the used index
    /// passed used_event (virtio's vring_need_event); otherwise unless it set VRING_AVAIL_F_NO_INTERRUPT.
    /// </summary>
    private bool NeedsNotification()
    {
        // The used index store must be visible before the driver's suppression fields are read.
        Interlocked.MemoryBarrier();
        if (!EventIdx)
        {
            return (Volatile.Read(ref *(ushort*)_available) & AvailNoInterrupt) == 0;
        }

        ushort old = _signalledUsed;
        ushort current = _usedIndex;
        bool valid = _signalledUsedValid;
        _signalledUsed = current;
        _signalledUsedValid = true;
        ushort usedEvent = Volatile.Read(ref UsedEvent);
        return !valid || (ushort)(current - usedEvent - 1) < (ushort)(current - old);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            AbandonInFlight();
            DetachInflight();
            Started = false;
            if (_inFlight == 0)
            {
                UnmapRings();
            }
        }

        SetKick(null);
        SetCall(null);
        SetErr(null);
    }
}
