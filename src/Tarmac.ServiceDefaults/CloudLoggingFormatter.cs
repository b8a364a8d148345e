using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Tarmac.ServiceDefaults;

/// <summary>
/// One JSON object per line in Cloud Logging's structured format: <c>severity</c>, <c>message</c>, and each
/// structured-log property as a top-level field, so log-based metrics can read <c>jsonPayload.rows_loaded</c>. A line
/// written inside an activity carries its trace in Cloud Logging's special fields, so Cloud Logging links the entry to its
/// trace: <c>logging.googleapis.com/trace</c> (<c>projects/PROJECT_ID/traces/TRACE_ID</c>),
/// <c>logging.googleapis.com/spanId</c> and <c>logging.googleapis.com/trace_sampled</c>
/// (https://cloud.google.com/logging/docs/structured-logging#structured_logging_special_fields,
/// https://cloud.google.com/trace/docs/trace-log-integration).
/// </summary>
/// <param name="options">The project the traces belong to (without one, the trace field is left out: it must name a project).</param>
public sealed class CloudLoggingFormatter(IOptions<CloudLoggingFormatterOptions> options) : ConsoleFormatter(FormatterName)
{
    /// <summary>Name under which the formatter is registered.</summary>
    public const string FormatterName = "cloud-logging";

    private readonly string? _projectId = options.Value.ProjectId is { Length: > 0 } p ? p : null;

    /// <inheritdoc />
    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("severity", logEntry.LogLevel switch
            {
                LogLevel.Trace or LogLevel.Debug => "DEBUG",
                LogLevel.Information => "INFO",
                LogLevel.Warning => "WARNING",
                LogLevel.Error => "ERROR",
                LogLevel.Critical => "CRITICAL",
                _ => "DEFAULT",
            });
            w.WriteString("message", logEntry.Exception is null ? message : $"{message}\n{logEntry.Exception}");
            w.WriteString("logger", logEntry.Category);
            if (Activity.Current is { } activity)
            {
                if (_projectId is not null) w.WriteString("logging.googleapis.com/trace", $"projects/{_projectId}/traces/{activity.TraceId.ToHexString()}");
                w.WriteString("logging.googleapis.com/spanId", activity.SpanId.ToHexString());
                w.WriteBoolean("logging.googleapis.com/trace_sampled", activity.Recorded);
            }
            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> props)
            {
                foreach (var (key, value) in props)
                {
                    if (key == "{OriginalFormat}" || key is "severity" or "message" or "logger" || key.StartsWith("logging.googleapis.com/", StringComparison.Ordinal)) continue;
                    switch (value)
                    {
                        case null: w.WriteNull(key); break;
                        case long or int or short or byte: w.WriteNumber(key, Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture)); break;
                        case double d: w.WriteNumber(key, d); break;
                        case bool b: w.WriteBoolean(key, b); break;
                        default: w.WriteString(key, Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)); break;
                    }
                }
            }
            w.WriteEndObject();
        }
        textWriter.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length));
    }
}
