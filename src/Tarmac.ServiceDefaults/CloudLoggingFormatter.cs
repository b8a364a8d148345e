using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Tarmac.ServiceDefaults;

/// <summary>
/// One JSON object per line in Cloud Logging's structured format: <c>severity</c>, <c>message</c>, and each
/// structured-log property as a top-level field, so log-based metrics can read <c>jsonPayload.rows_loaded</c>.
/// </summary>
public sealed class CloudLoggingFormatter() : ConsoleFormatter(FormatterName)
{
    public const string FormatterName = "cloud-logging";

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
            if (logEntry.State is IReadOnlyList<KeyValuePair<string, object?>> props)
            {
                foreach (var (key, value) in props)
                {
                    if (key == "{OriginalFormat}" || key is "severity" or "message" or "logger") continue;
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
