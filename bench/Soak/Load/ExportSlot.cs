namespace ExportPS.Soak.Load;

/// <summary>
/// One export of a soak target and its node. The churner clears <see cref="Present"/> and bumps
/// <see cref="Generation"/> before it removes the export, and bumps it again when the export is back, so a client that
/// loses its connection (or is refused) can tell a removal it was owed from a fault, even when it started while the
/// export was away and the export came back before the refusal was judged.
/// </summary>
internal sealed class ExportSlot(string id)
{
    private int _generation;
    private volatile bool _present = true;

    /// <summary>Export id, export name and node name at once.</summary>
    public string Id => id;

    public int Generation => Volatile.Read(ref _generation);

    public bool Present => _present;

    public void Removing()
    {
        _present = false;
        Interlocked.Increment(ref _generation);
    }

    public void Back()
    {
        _present = true;
        Interlocked.Increment(ref _generation);
    }

    /// <summary>True when the export was removed (or is being) since <paramref name="generation"/> was read.</summary>
    public bool RemovedSince(int generation) => !_present || Generation != generation;
}
