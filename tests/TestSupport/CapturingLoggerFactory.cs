using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ExportPS.TestSupport;

/// <summary>One event as an engine logged it: category, level, event id and name, and the formatted message.</summary>
internal sealed record CapturedLogEvent(string Category, LogLevel Level, int EventId, string? EventName, string Message)
{
    /// <summary>What a test compares of an event: its name, level, id and message.</summary>
    public (string? EventName, LogLevel Level, int EventId, string Message) Shown => (EventName, Level, EventId, Message);
}

/// <summary>A logger factory that keeps every event of every level, for tests that check what the engine logged.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<CapturedLogEvent> _events = new();

    public IReadOnlyList<CapturedLogEvent> Events => [.. _events];

    /// <summary>Waits (bounded) until an event named <paramref name="eventName"/> was logged, and returns the first.</summary>
    public CapturedLogEvent WaitFor(string eventName, TimeSpan? timeout = null)
    {
        CapturedLogEvent? found = null;
        bool logged = SpinWait.SpinUntil(() => (found = _events.FirstOrDefault(e => e.EventName == eventName)) is not null, timeout ?? TimeSpan.FromSeconds(10));
        Assert.True(logged, $"no {eventName} event; logged: {string.Join(", ", _events.Select(e => e.EventName))}");
        return found!;
    }

    /// <summary>
    /// Waits (bounded) until at least <paramref name="count"/> events of <paramref name="category"/> were logged, and
    /// returns them all, oldest first.
    /// </summary>
    public CapturedLogEvent[] WaitForEvents(string category, int count, TimeSpan? timeout = null)
    {
        CapturedLogEvent[] Logged() => [.. _events.Where(e => e.Category == category)];
        bool logged = SpinWait.SpinUntil(() => Logged().Length >= count, timeout ?? TimeSpan.FromSeconds(10));
        Assert.True(logged, $"expected {count} {category} events; logged: {string.Join("; ", Logged().Select(e => e.Shown))}");
        return Logged();
    }

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _events);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<CapturedLogEvent> events) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            events.Enqueue(new CapturedLogEvent(category, logLevel, eventId.Id, eventId.Name, formatter(state, exception)));
    }
}
