using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Tarmac.Ingest;

/// <summary>
/// What a client is told about an upload that failed with an internal error. The ledger's <c>error</c> may hold anything the
/// process function wrote (exception types, paths, SQL); none of it is shown. The client gets one stable sentence and a trace
/// id; the stored detail goes to the log under that id, so an operator can find it.
/// </summary>
public static partial class UploadFailureText
{
    /// <summary>
    /// The form process should store instead of exception text: <c>trace_id=&lt;32 hex digits&gt;</c> of the processing
    /// trace, whose log lines hold the detail. When present it is the trace id shown; otherwise the request's own is.
    /// </summary>
    public const string StoredTracePrefix = "trace_id=";

    /// <summary>The public text for a stored failure reason, naming <paramref name="traceId"/>.</summary>
    public static string Public(string traceId) =>
        $"The upload could not be processed because of an internal error, not because of its data. Post the same file again to retry it; if it fails again, report trace id {traceId}.";

    /// <summary>
    /// The trace id to show for <paramref name="stored"/>: the one process stored (the upload's own trace, see
    /// <c>UploadProcessor</c>), else the upload's trace id (<paramref name="uploadTraceId"/>, its status's <c>trace_id</c>),
    /// else the current request's.
    /// </summary>
    public static string TraceIdFor(string stored, string? uploadTraceId, HttpContext? http)
    {
        if (StoredTraceId().Match(stored) is { Success: true } m) return m.Groups[1].Value;
        return uploadTraceId ?? Activity.Current?.TraceId.ToHexString() ?? http?.TraceIdentifier ?? "unknown";
    }

    /// <summary>Whether the stored reason carries more than a trace id, and so must be logged to be found.</summary>
    public static bool HasDetail(string stored) => !StoredTraceId().IsMatch(stored) || stored.Length > StoredTracePrefix.Length + 32;

    [GeneratedRegex("trace_id=([0-9a-f]{32})")]
    private static partial Regex StoredTraceId();
}
