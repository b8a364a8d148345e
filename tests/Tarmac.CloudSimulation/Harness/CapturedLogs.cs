using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tarmac.ServiceDefaults;

namespace Tarmac.CloudSimulation.Harness;

/// <summary>One log entry as Cloud Logging would index it: the structured properties become <c>jsonPayload.*</c>.</summary>
/// <param name="Category">Logger category.</param>
/// <param name="Level">Level (Cloud Logging's severity).</param>
/// <param name="Message">Rendered message.</param>
/// <param name="Fields">The structured-log properties, as <see cref="Tarmac.ServiceDefaults.CloudLoggingFormatter"/> writes them.</param>
/// <param name="Line">The whole line <see cref="Tarmac.ServiceDefaults.CloudLoggingFormatter"/> writes for it (trace fields included).</param>
public sealed record CapturedLog(string Category, LogLevel Level, string Message, IReadOnlyDictionary<string, string?> Fields, JsonElement Line)
{
    /// <summary>The <c>event</c> field that the log-based metrics in <c>infra/modules/monitoring</c> filter on.</summary>
    public string? Event => Fields.GetValueOrDefault("event");
}

/// <summary>Keeps every log entry of one function host, so tests can check what the log-based metrics would count.</summary>
/// <param name="projectId">The project the lines' trace fields name (the function's <c>TARMAC_GCP_PROJECT</c>).</param>
public sealed class CapturedLogs(string? projectId = null) : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLog> _entries = new();
    private readonly CloudLoggingFormatter _formatter = new(Options.Create(new CloudLoggingFormatterOptions { ProjectId = projectId }));

    /// <summary>Entries so far, oldest first.</summary>
    public IReadOnlyList<CapturedLog> Entries => _entries.ToArray();

    /// <summary>Entries whose <c>event</c> field is <paramref name="name"/>.</summary>
    public IReadOnlyList<CapturedLog> OfEvent(string name) => Entries.Where(e => e.Event == name).ToArray();

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries, _formatter);

    public void Dispose() { }

    private sealed class Logger(string category, ConcurrentQueue<CapturedLog> entries, CloudLoggingFormatter cloudFormat) : ILogger
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
            // Formatted here, on the logging call's own flow, as the console logger does: the current activity is the entry's.
            using var line = new StringWriter();
            cloudFormat.Write(new LogEntry<TState>(logLevel, category, eventId, state, exception, formatter), null, line);
            entries.Enqueue(new CapturedLog(category, logLevel, formatter(state, exception), fields, JsonDocument.Parse(line.ToString()).RootElement.Clone()));
        }
    }
}
