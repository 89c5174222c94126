using Microsoft.Extensions.Logging;

namespace ExportPS.Logging;

/// <summary>
/// The logger factory of the module's in-process engine: an event goes to the <see cref="CmdletLogCapture"/> of the
/// cmdlet whose call (or whose work, as the capture flows with the async context) raised it, and nowhere when no cmdlet
/// that shows it runs; a disabled event costs a look at the current capture.
/// </summary>
internal sealed class CmdletLogRouter : ILoggerFactory
{
    public static readonly CmdletLogRouter Instance = new();

    private static readonly AsyncLocal<CmdletLogCapture?> CurrentCapture = new();

    private CmdletLogRouter()
    {
    }

    /// <summary>The capture of the cmdlet running on this thread (or whose work this is); null for none.</summary>
    public static CmdletLogCapture? Current
    {
        get => CurrentCapture.Value;
        set => CurrentCapture.Value = value;
    }

    public ILogger CreateLogger(string categoryName) => new CapturingLogger();

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("The module's engine logs to the cmdlet streams only");

    public void Dispose()
    {
    }

    private sealed class CapturingLogger : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => Current?.Wants(logLevel) == true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (Current is { } capture && capture.Wants(logLevel))
            {
                capture.Add(logLevel, $"{eventId.Name}: {formatter(state, exception)}");
            }
        }
    }
}
