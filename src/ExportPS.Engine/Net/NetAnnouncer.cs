using ExportPS.Engine.Errors;
using ExportPS.Engine.Model;

namespace ExportPS.Engine.Net;

/// <summary>
/// The running announcements by id (no id is the id ""), as QEMU's named announce timers: each sends its RARP frames
/// out of its netdevs round after round; a new one with a running one's id replaces it. A netdev removed meanwhile
/// is skipped.
/// </summary>
internal sealed class NetAnnouncer(Func<string, Netdev?> findNetdev) : IDisposable
{
    private readonly Dictionary<string, CancellationTokenSource> _running = new(StringComparer.Ordinal);

    public void Start(NetAnnounceOptions options)
    {
        var timing = new AnnounceTiming(options.Initial, options.Max, options.Rounds, options.Step);
        if (options.Rounds < 0 || options.Initial < 0 || options.Max < 0 || options.Step < 0)
            throw new EngineException(ErrorIds.InvalidArgument, EngineErrorCategory.InvalidArgument, "announce-self: initial, max, rounds and step cannot be negative");
        var macs = options.MacAddresses.Select(text => MacAddress.TryParse(text, out var mac)
            ? mac
            : throw new EngineException(ErrorIds.InvalidArgument, EngineErrorCategory.InvalidArgument, $"'{text}' is not a MAC address") { Target = text }).ToArray();

        // Not disposed: it holds no timer or handle, and a replaced one may still be cancelling.
        var stop = new CancellationTokenSource();
        CancellationTokenSource? previous;
        lock (_running)
        {
            _running.Remove(options.Id ?? "", out previous);
            _running[options.Id ?? ""] = stop;
        }

        previous?.Cancel();

        _ = RunAsync(timing, options.Interfaces.ToArray(), macs, stop);
    }

    private async Task RunAsync(AnnounceTiming timing, string[] interfaces, MacAddress[] macs, CancellationTokenSource stop)
    {
        try
        {
            foreach (var delay in timing.Delays())
            {
                await Task.Delay(delay, stop.Token).ConfigureAwait(false);
                foreach (var netdev in interfaces.Select(findNetdev).OfType<Netdev>())
                {
                    foreach (var mac in macs)
                        netdev.Announce(mac);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Replaced by a newer announcement of the same id, or the engine stopped.
        }
        finally
        {
            lock (_running)
            {
                foreach (var (id, _) in _running.Where(entry => entry.Value == stop).ToArray())
                    _running.Remove(id);
            }
        }
    }

    public void Dispose()
    {
        CancellationTokenSource[] running;
        lock (_running)
        {
            running = [.. _running.Values];
            _running.Clear();
        }

        foreach (var stop in running)
            stop.Cancel();
    }
}
