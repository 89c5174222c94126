using System.Globalization;
using Microsoft.Extensions.Logging;

namespace ExportPS.Host.Logging;

/// <summary>
/// The host's loggers: one line per event on <paramref name="error"/> (stderr), "time level category event[id] message",
/// for the events <see cref="LogSettings"/> selects. The writer must be synchronized, so lines of concurrent connections
/// never interleave. It is the host's one sink: other providers are not taken.
/// </summary>
internal sealed class StderrLoggerFactory(LogSettings settings, TextWriter error) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new StderrLogger(categoryName, settings, error);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("The host logs to stderr only");

    public void Dispose()
    {
    }

    private sealed class StderrLogger(string category, LogSettings settings, TextWriter error) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => settings.MayWrite(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!settings.Writes(category, eventId, logLevel))
            {
                return;
            }

            string time = DateTime.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
            string message = formatter(state, exception).ReplaceLineEndings(" ");
            string cause = exception is null ? string.Empty : $": {exception.GetType().Name}: {exception.Message.ReplaceLineEndings(" ")}";
            error.WriteLine($"{time} {LevelName(logLevel)} {category} {eventId.Name}[{eventId.Id}] {message}{cause}");
        }

        private static string LevelName(LogLevel level) => level switch
        {
            LogLevel.Trace => "trace",
            LogLevel.Debug => "debug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warning",
            LogLevel.Error => "error",
            _ => "critical",
        };
    }
}
