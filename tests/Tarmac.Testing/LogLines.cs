using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Tarmac.Testing;

/// <summary>Keeps every log line of a host (message, then the exception if any), for tests that check what was logged.</summary>
public sealed class LogLines : ILoggerProvider, ILogger
{
    private readonly ConcurrentQueue<string> _lines = new();

    /// <summary>The lines so far, oldest first.</summary>
    public IReadOnlyList<string> Lines => _lines.ToArray();

    public ILogger CreateLogger(string categoryName) => this;

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        _lines.Enqueue(formatter(state, exception) + (exception is null ? "" : " " + exception));

    public void Dispose() { }
}
