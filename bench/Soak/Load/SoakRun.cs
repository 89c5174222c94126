using ExportPS.Engine.Model;
using ExportPS.Engine.Qmp;

namespace ExportPS.Soak.Load;

/// <summary>
/// A whole soak against one or more targets: over QMP it gives each target file-backed nodes (sparse images in
/// <paramref name="imageDirectory"/>) and their NBD exports, then runs the clients, one churner and a few QMP pollers
/// per target for the duration, and stops them all; the clients disconnect politely at the end.
/// Connections and exports are shared out evenly over the targets; client i of a target uses export i mod M.
/// </summary>
internal sealed class SoakRun(SoakSettings settings, IReadOnlyList<SoakTarget> targets, string imageDirectory)
{
    public SoakCounters Counters { get; } = new();

    /// <summary>Adds the nodes and exports of every target; returns each target's export slots.</summary>
    public IReadOnlyList<ExportSlot>[] Prepare()
    {
        var prepared = new IReadOnlyList<ExportSlot>[targets.Count];
        for (int t = 0; t < targets.Count; t++)
        {
            var target = targets[t];
            int exports = Share(settings.Exports, t), clients = Share(settings.Connections, t);
            long size = (long)Math.Ceiling(clients / (double)exports) * settings.RegionSize;
            using var qmp = QmpExportEngine.Connect(target.Qmp);
            AddNode(qmp, target, SpareNode, size);
            var slots = new List<ExportSlot>();
            for (int e = 0; e < exports; e++)
            {
                var slot = new ExportSlot($"soak-{e}");
                AddNode(qmp, target, slot.Id, size);
                qmp.AddBlockExport(ExportChurner.Options(slot.Id, slot.Id));
                slots.Add(slot);
            }

            prepared[t] = slots;
        }

        return prepared;
    }

    /// <summary>Runs the load for the set duration (or until <paramref name="cancellationToken"/> fires) and returns the counters.</summary>
    public async Task<SoakCounters> RunAsync(IReadOnlyList<ExportSlot>[] slots, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clients = new List<Task>();
        var workers = new List<Task>();
        for (int t = 0; t < targets.Count; t++)
        {
            var target = targets[t];
            int clientCount = Share(settings.Connections, t);
            for (int c = 0; c < clientCount; c++)
            {
                var slot = slots[t][c % slots[t].Count];
                long regionStart = (long)(c / slots[t].Count) * settings.RegionSize;
                var client = new SoakClient(target, slot, regionStart, settings.RegionSize, Counters, HashCode.Combine(t, c));
                var startDelay = settings.Ramp * clients.Count / settings.Connections;
                clients.Add(Task.Run(() => client.RunAsync(startDelay, stop.Token)));
            }

            var churner = new ExportChurner(target, slots[t], SpareNode, Counters, settings.ChurnInterval, t);
            workers.Add(Dedicated(() => churner.Run(stop.Token)));
            for (int p = 0; p < settings.PollersPerTarget; p++)
            {
                var poller = new QmpPoller(target, Counters);
                workers.Add(Dedicated(() => poller.Run(stop.Token)));
            }
        }

        try
        {
            await Task.Delay(settings.Duration, stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        await stop.CancelAsync();
        await Task.WhenAll(workers);
        await Task.WhenAll(clients);
        return Counters;
    }

    /// <summary>Waits until no export of any target counts a client (every server-side connection ended); false on timeout.</summary>
    public bool WaitForNoClients(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        foreach (var target in targets)
        {
            using var qmp = QmpExportEngine.Connect(target.Qmp);
            while (qmp.GetBlockExports().Any(e => e.Clients > 0))
            {
                if (DateTime.UtcNow > deadline)
                {
                    return false;
                }

                Thread.Sleep(50);
            }
        }

        return true;
    }

    private static Task Dedicated(Action run) => Task.Factory.StartNew(run, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary>Target <paramref name="index"/>'s share of <paramref name="total"/>, at least one.</summary>
    private int Share(int total, int index) => Math.Max(1, (total / targets.Count) + (index < total % targets.Count ? 1 : 0));

    /// <summary>The node of the spare exports (never the node of a client's export).</summary>
    private const string SpareNode = "soak-spare";

    private void AddNode(QmpExportEngine qmp, SoakTarget target, string node, long size)
    {
        string image = Path.Combine(imageDirectory, $"{target.Name}-{node}.img");
        using (var file = File.Create(image))
        {
            file.SetLength(size);
        }

        qmp.AddBlockNode(new BlockNodeOptions { NodeName = node, Driver = BlockDriverKind.File, Path = image, Discard = BlockDiscardMode.Unmap });
    }
}
