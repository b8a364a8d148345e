using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;

namespace Tarmac.ServiceDefaults;

/// <summary>
/// The local host's console line: <c>HH:mm:ss.fff info: Category[event] message trace_id=…</c>, one line per entry (an
/// exception follows on the next lines). The trace id is that of the activity current when the entry was written, so the
/// line of an upload's POST and the line of its load name the same trace.
/// </summary>
public sealed class LocalConsoleFormatter() : ConsoleFormatter(FormatterName)
{
    /// <summary>Name under which the formatter is registered.</summary>
    public const string FormatterName = "tarmac-local";

    /// <summary>The text that precedes the trace id on a line.</summary>
    public const string TraceIdField = " trace_id=";

    /// <inheritdoc />
    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter(logEntry.State, logEntry.Exception);
        if (string.IsNullOrEmpty(message) && logEntry.Exception is null) return;
        textWriter.Write(DateTimeOffset.Now.ToString("HH:mm:ss.fff ", CultureInfo.InvariantCulture));
        textWriter.Write(Level(logEntry.LogLevel));
        textWriter.Write(": ");
        textWriter.Write(logEntry.Category);
        textWriter.Write('[');
        textWriter.Write(logEntry.EventId.Id.ToString(CultureInfo.InvariantCulture));
        textWriter.Write("] ");
        // A message is one line: its own line breaks (never client text, which LogText escapes) are folded.
        textWriter.Write(message.ReplaceLineEndings(" "));
        if (Activity.Current is { } activity)
        {
            textWriter.Write(TraceIdField);
            textWriter.Write(activity.TraceId.ToHexString());
        }
        textWriter.WriteLine();
        if (logEntry.Exception is { } e) textWriter.WriteLine(e.ToString());
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
