using ExportPS.Engine.Model;

namespace ExportPS.Engine.Exports.Nbd;

/// <summary>
/// The NBD server's client errors: how many there were since it started, and the latest <see cref="Capacity"/> of them
/// (oldest first), so an operator sees why clients were turned away without a log. Safe to use from any connection.
/// </summary>
internal sealed class NbdClientErrorHistory
{
    public const int Capacity = 20;

    private readonly Queue<NbdClientError> _recent = new(Capacity);
    private long _count;

    public void Add(NbdClientError error)
    {
        lock (_recent)
        {
            _count++;
            if (_recent.Count == Capacity)
            {
                _recent.Dequeue();
            }

            _recent.Enqueue(error);
        }
    }

    /// <summary>The count and a copy of the recent errors, oldest first.</summary>
    public (long Count, NbdClientError[] Recent) Snapshot()
    {
        lock (_recent)
        {
            return (_count, [.. _recent]);
        }
    }
}
