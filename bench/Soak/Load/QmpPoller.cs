using ExportPS.Engine.Qmp;

namespace ExportPS.Soak.Load;

/// <summary>A monitor client asking query-block-exports and x-query-nbd-server over and over while the soak runs.</summary>
internal sealed class QmpPoller(SoakTarget target, SoakCounters counters)
{
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(10);

    /// <summary>Polls until cancelled; runs on a thread of its own (QMP calls block).</summary>
    public void Run(CancellationToken cancellationToken)
    {
        try
        {
            using var qmp = QmpExportEngine.Connect(target.Qmp);
            while (!cancellationToken.IsCancellationRequested)
            {
                var exports = qmp.GetBlockExports();
                if (exports.DistinctBy(e => e.Id).Count() != exports.Count)
                {
                    throw new InvalidDataException("query-block-exports lists an export twice");
                }

                if (!qmp.GetNbdServer().Running)
                {
                    throw new InvalidDataException("x-query-nbd-server says the server stopped");
                }

                Interlocked.Add(ref counters.QmpPolls, 2);
                cancellationToken.WaitHandle.WaitOne(Pause);
            }
        }
        catch (Exception error)
        {
            counters.Unexpected($"{target.Name} QMP poller", error);
        }
    }
}
