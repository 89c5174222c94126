using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;

namespace ExportPS.Soak.Load;

/// <summary>
/// Removes and re-adds a target's exports over QMP while its clients run, in turn: a hard removal of a busy export
/// (its clients are dropped), a safe removal of a busy export (refused while clients are connected, done when none
/// are), and a spare export no client knows, added and removed safely.
/// </summary>
internal sealed class ExportChurner(SoakTarget target, IReadOnlyList<ExportSlot> slots, string spareNode, SoakCounters counters, TimeSpan interval, int seed)
{
    private static readonly TimeSpan DeletionTimeout = TimeSpan.FromSeconds(15);
    private readonly Random _random = new(seed);

    /// <summary>Churns until cancelled; runs on a thread of its own (QMP calls block).</summary>
    public void Run(CancellationToken cancellationToken)
    {
        using var qmp = QmpExportEngine.Connect(target.Qmp);
        for (int round = 0; !cancellationToken.WaitHandle.WaitOne(interval); round++)
        {
            try
            {
                switch (round % 3)
                {
                    case 0:
                        RemoveAndAddBack(qmp, slots[_random.Next(slots.Count)], BlockExportRemoveMode.Hard);
                        break;
                    case 1:
                        RemoveAndAddBack(qmp, slots[_random.Next(slots.Count)], BlockExportRemoveMode.Safe);
                        break;
                    default:
                        AddAndRemoveSpare(qmp, $"spare-{round}");
                        break;
                }
            }
            catch (Exception error)
            {
                counters.Unexpected($"{target.Name} churner", error);
            }
        }
    }

    private void RemoveAndAddBack(QmpExportEngine qmp, ExportSlot slot, BlockExportRemoveMode mode)
    {
        slot.Removing();
        try
        {
            qmp.RemoveBlockExport(slot.Id, mode);
        }
        catch (EngineException refused) when (mode == BlockExportRemoveMode.Safe && refused.Category == EngineErrorCategory.InUse)
        {
            Interlocked.Increment(ref counters.SafeRefusals);
            slot.Back();
            return;
        }

        if (!qmp.WaitForExportDeleted(slot.Id, DeletionTimeout, CancellationToken.None))
        {
            throw new TimeoutException($"export {slot.Id} was not deleted within {DeletionTimeout}");
        }

        Interlocked.Increment(ref mode == BlockExportRemoveMode.Hard ? ref counters.HardRemovals : ref counters.SafeRemovals);
        qmp.AddBlockExport(Options(slot.Id, slot.Id));
        slot.Back();
    }

    private void AddAndRemoveSpare(QmpExportEngine qmp, string id)
    {
        qmp.AddBlockExport(Options(id, spareNode));
        qmp.RemoveBlockExport(id, BlockExportRemoveMode.Safe);
        if (!qmp.WaitForExportDeleted(id, DeletionTimeout, CancellationToken.None))
        {
            throw new TimeoutException($"spare export {id} was not deleted within {DeletionTimeout}");
        }

        Interlocked.Increment(ref counters.SafeRemovals);
    }

    public static BlockExportOptions Options(string id, string node) =>
        new() { Id = id, NodeName = node, Writable = true, Nbd = new NbdExportOptions { Name = id } };
}
