using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Tarmac.CloudSimulation.Harness;

/// <summary>One log entry as Cloud Logging would index it: the structured properties become <c>jsonPayload.*</c>.</summary>
/// <param name="Category">Logger category.</param>
/// <param name="Level">Level (Cloud Logging's severity).</param>
/// <param name="Message">Rendered message.</param>
/// <param name="Fields">The structured-log properties, as <see cref="Tarmac.ServiceDefaults.CloudLoggingFormatter"/> writes them.</param>
public sealed record CapturedLog(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, string?> Fields)
{
    /// <summary>The <c>event</c> field that the log-based metrics in <c>infra/modules/monitoring</c> filter on.</summary>
    public string? Event => Fields.GetValueOrDefault("event");
}

/// <summary>Keeps every log entry of one function host, so tests can check what the log-based metrics would count.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();

    /// <summary>Entries so far, oldest first.</summary>
    public IReadOnlyList<CapturedLog> Entries => _entries.ToArray();

    /// <summary>Entries whose <c>event</c> field is <paramref name="name"/>.</summary>
    public IReadOnlyList<CapturedLog> OfEvent(string name) => Entries.Where(e => e.Event == name).ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose() { }

    private sealed class Logger(string category, ConcurrentQueue<CapturedLog> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
            if (state is IReadOnlyList<KeyValuePair<string, object?>> props)
                foreach (var (key, value) in props)
                    if (key != "{OriginalFormat}") fields[key] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
            entries.Enqueue(new CapturedLog(category, logLevel, formatter(state, exception), fields));
        }
    }
}
