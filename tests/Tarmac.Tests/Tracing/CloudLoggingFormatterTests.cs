using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Tarmac.ServiceDefaults;

namespace Tarmac.Tests.Tracing;

/// <summary>
/// The JSON line Cloud Logging reads: trace fields as its structured-logging special fields
/// (https://cloud.google.com/logging/docs/structured-logging#structured_logging_special_fields), the trace as
/// <c>projects/PROJECT_ID/traces/TRACE_ID</c> (https://cloud.google.com/trace/docs/trace-log-integration).
/// </summary>
public sealed class CloudLoggingFormatterTests
{
    private static string Format(string? projectId, LogLevel level, IReadOnlyList<KeyValuePair<string, object?>> state, string message)
    {
        var formatter = new CloudLoggingFormatter(Options.Create(new CloudLoggingFormatterOptions { ProjectId = projectId }));
        using var writer = new StringWriter();
        formatter.Write(new LogEntry<IReadOnlyList<KeyValuePair<string, object?>>>(level, "Tarmac.Process.OutcomeReports", new EventId(7), state, null, (_, _) => message), null, writer);
        return writer.ToString();
    }

    private static readonly KeyValuePair<string, object?>[] Processed =
    [
        new("event", "upload_processed"), new("upload_id", "u1"), new("rows_loaded", 7L), new("{OriginalFormat}", "{event}: upload {upload_id}"),
        new("logging.googleapis.com/trace", "projects/forged/traces/0"), // a property may not pose as the special field
    ];

    [Fact]
    public void A_line_inside_a_sampled_span_names_its_trace_span_and_sampling()
    {
        using var activity = new Activity("test")
            .SetParentId(ActivityTraceId.CreateFromString("4bf92f3577b34da6a3ce929d0e0e4736"), ActivitySpanId.CreateFromString("00f067aa0ba902b7"), ActivityTraceFlags.Recorded)
            .Start();

        var line = Format("tarmac-prod", LogLevel.Information, Processed, "upload_processed: upload u1");

        Assert.Equal(
            "{\"severity\":\"INFO\",\"message\":\"upload_processed: upload u1\",\"logger\":\"Tarmac.Process.OutcomeReports\"," +
            "\"logging.googleapis.com/trace\":\"projects/tarmac-prod/traces/4bf92f3577b34da6a3ce929d0e0e4736\"," +
            $"\"logging.googleapis.com/spanId\":\"{activity.SpanId.ToHexString()}\",\"logging.googleapis.com/trace_sampled\":true," +
            "\"event\":\"upload_processed\",\"upload_id\":\"u1\",\"rows_loaded\":7}" + Environment.NewLine,
            line);
    }

    [Fact]
    public void A_line_of_an_unsampled_trace_says_so_and_without_a_project_the_trace_field_is_left_out()
    {
        using var activity = new Activity("test")
            .SetParentId(ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c"), ActivitySpanId.CreateFromString("b7ad6b7169203331"), ActivityTraceFlags.None)
            .Start();

        var line = Format(null, LogLevel.Warning, [], "slow");

        Assert.Equal(
            "{\"severity\":\"WARNING\",\"message\":\"slow\",\"logger\":\"Tarmac.Process.OutcomeReports\"," +
            $"\"logging.googleapis.com/spanId\":\"{activity.SpanId.ToHexString()}\",\"logging.googleapis.com/trace_sampled\":false}}" + Environment.NewLine,
            line);
    }

    [Fact]
    public void A_line_outside_any_span_has_no_trace_fields()
    {
        Activity.Current = null;

        Assert.Equal("{\"severity\":\"ERROR\",\"message\":\"boom\",\"logger\":\"Tarmac.Process.OutcomeReports\"}" + Environment.NewLine,
            Format("tarmac-prod", LogLevel.Error, [], "boom"));
    }
}
