using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace ExportPS.Logging;

/// <summary>
/// The engine events one cmdlet caused, held until the cmdlet writes them from its pipeline thread (the engine raises
/// them on whatever thread it runs). Only the streams the cmdlet shows are captured: information and above for Verbose,
/// debug and trace for Debug. Bounded, so a capture nobody drains (a stopped pipeline) cannot grow without end.
/// </summary>
internal sealed class CmdletLogCapture(bool verbose, bool debug)
{
    private const int Limit = 1000;

    private readonly ConcurrentQueue<(LogLevel Level, string Text)> _events = new();
    private volatile bool _closed;

    public bool Wants(LogLevel level) =>
        !_closed && level != LogLevel.None && (level >= LogLevel.Information ? verbose : debug);

    public void Add(LogLevel level, string text)
    {
        if (Wants(level) && _events.Count < Limit)
        {
            _events.Enqueue((level, text));
        }
    }

    /// <summary>Hands every held event to <paramref name="verboseWriter"/> or <paramref name="debugWriter"/> by its level.</summary>
    public void Drain(Action<string> verboseWriter, Action<string> debugWriter)
    {
        while (_events.TryDequeue(out var e))
        {
            (e.Level >= LogLevel.Information ? verboseWriter : debugWriter)(e.Text);
        }
    }

    /// <summary>The cmdlet has ended: events raised later (by work it started) are not its to show.</summary>
    public void Close() => _closed = true;
}
