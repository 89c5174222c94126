namespace ExportPS.Engine.VhostUser;

/// <summary>
/// In-flight tracking in the shared <see cref="InflightArea"/> (libvhost-user's scheme): a request taken off the ring is
/// marked with a rising counter; completing it first records its head as the last batch, then publishes the used entry,
/// then clears the mark and records the used index. A ring started on an area that still has marks (the front-end
/// reconnected) first repairs a completion cut between those steps, then takes the marked requests again, oldest first,
/// before new ones. All of it runs under the queue's lock.
/// </summary>
public sealed unsafe partial class SplitVirtqueue
{
    private const int InflightVersion = 1;

    private byte* _inflight;
    private int _inflightCapacity;
    private ulong _inflightCounter;
    private readonly Queue<ushort> _resubmit = new();

    /// <summary>
    /// Tracks requests in <paramref name="part"/> (this queue's part of the area, of <paramref name="capacity"/> states),
    /// or stops tracking (null).
    /// </summary>
    public void SetInflight(byte* part, int capacity)
    {
        lock (_gate)
        {
            _inflight = part;
            _inflightCapacity = part is null ? 0 : capacity;
            _resubmit.Clear();
        }
    }

    /// <summary>Requests the front-end marked in flight and this ring takes again before new ones.</summary>
    public int Resubmitting
    {
        get
        {
            lock (_gate)
            {
                return _resubmit.Count;
            }
        }
    }

    /// <summary>The connection ended: the area (unmapped next) is no longer touched, whatever still completes.</summary>
    private void DetachInflight()
    {
        _inflight = null;
        _inflightCapacity = 0;
    }

    private ref ushort InflightVersionField => ref *(ushort*)(_inflight + 8);

    private ref ushort InflightLastBatchHead => ref *(ushort*)(_inflight + 12);

    private ref ushort InflightUsedIndex => ref *(ushort*)(_inflight + 14);

    private byte* InflightState(int head) => _inflight + InflightArea.HeaderLength + (InflightArea.DescriptorStateLength * head);

    private bool Tracks(int head) => _inflight is not null && head < _inflightCapacity;

    /// <summary>On a ring start: a fresh area is claimed; one with marks yields the requests to take again, oldest first.</summary>
    private void RecoverInflight()
    {
        _resubmit.Clear();
        _inflightCounter = 0;
        if (_inflight is null)
        {
            return;
        }

        if (InflightVersionField == 0)
        {
            InflightVersionField = InflightVersion;
            return;
        }

        // The last completion published its used entry but was cut before clearing its mark.
        if (InflightUsedIndex != _usedIndex)
        {
            if (Tracks(InflightLastBatchHead))
            {
                *InflightState(InflightLastBatchHead) = 0;
            }

            Interlocked.MemoryBarrier();
            InflightUsedIndex = _usedIndex;
        }

        var marked = new List<(ulong Counter, ushort Head)>();
        for (int head = 0; head < Math.Min(_inflightCapacity, Size); head++)
        {
            byte* state = InflightState(head);
            if (*state != 0)
            {
                marked.Add((*(ulong*)(state + 8), (ushort)head));
            }
        }

        marked.Sort();
        foreach (var (_, head) in marked)
        {
            _resubmit.Enqueue(head);
        }

        _inflightCounter = marked.Count == 0 ? 0 : marked[^1].Counter + 1;

        // Every marked request was taken off the available ring before the ones not yet taken.
        LastAvailIndex = (ushort)(_usedIndex + marked.Count);
    }

    private void MarkInflight(ushort head)
    {
        if (Tracks(head))
        {
            byte* state = InflightState(head);
            *(ulong*)(state + 8) = _inflightCounter++;
            *state = 1;
        }
    }

    /// <summary>A request given back unused (<see cref="Unpop"/>) is no longer in flight.</summary>
    private void UnmarkInflight(ushort head)
    {
        if (Tracks(head))
        {
            *InflightState(head) = 0;
            _inflightCounter--;
        }
    }

    /// <summary>Before the used entries are written: the head a restart would have to repair.</summary>
    private void BeginInflightCompletion(ushort head)
    {
        if (Tracks(head))
        {
            InflightLastBatchHead = head;
        }
    }

    /// <summary>After the used index is published: the mark goes, then the used index the area knows follows.</summary>
    private void EndInflightCompletion(ushort head)
    {
        if (Tracks(head))
        {
            *InflightState(head) = 0;
            Interlocked.MemoryBarrier();
            InflightUsedIndex = _usedIndex;
        }
    }
}
