namespace ExportPS.Soak.Load;

/// <summary>
/// One export of a soak target and its node. The churner bumps <see cref="Generation"/> and clears
/// <see cref="Present"/> before it removes the export, so a client that loses its connection (or is refused) can tell a
/// removal it was owed from a fault.
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

    public void Back() => _present = true;

    /// <summary>True when the export was removed (or is being) since <paramref name="generation"/> was read.</summary>
    public bool RemovedSince(int generation) => !_present || Generation != generation;
}
