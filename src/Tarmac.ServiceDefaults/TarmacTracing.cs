using System.Diagnostics;

namespace Tarmac.ServiceDefaults;

/// <summary>
/// Tarmac's one <see cref="ActivitySource"/>, and how an upload's trace context (W3C <c>traceparent</c>) is carried from its
/// POST to the work done for it later: written into the object's metadata under <see cref="MetadataKey"/> and into the
/// ledger record, and read back by process, whose spans then join the upload's trace.
/// </summary>
public static class TarmacTracing
{
    /// <summary>Name of the activity source every Tarmac span is started on (and that the tracer provider listens to).</summary>
    public const string SourceName = "Tarmac";

    /// <summary>
    /// The object metadata key holding the upload's W3C <c>traceparent</c> (<c>x-goog-meta-traceparent</c> on Cloud Storage,
    /// the extended attribute's JSON locally).
    /// </summary>
    public const string MetadataKey = Tarmac.Core.Uploads.RawObjectMetadata.TraceParent;

    /// <summary>The source of Tarmac's own spans.</summary>
    public static ActivitySource Source { get; } = new(SourceName);

    /// <summary>The W3C <c>traceparent</c> of the current activity, or null when there is none.</summary>
    public static string? CurrentTraceParent() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current ? current.Id : null;

    /// <summary>The 32-hex-digit trace id of <paramref name="traceParent"/>, or null when it is absent or malformed.</summary>
    public static string? TraceIdOf(string? traceParent) =>
        TryParse(traceParent, out var context) ? context.TraceId.ToHexString() : null;

    /// <summary>Parses a W3C <c>traceparent</c> that came from outside this process (metadata, a ledger record).</summary>
    public static bool TryParse(string? traceParent, out ActivityContext context)
    {
        context = default;
        // A traceparent is 55 characters; anything much longer is not one, and is not worth parsing.
        return traceParent is { Length: > 0 and <= 128 } && ActivityContext.TryParse(traceParent, null, isRemote: true, out context);
    }

    /// <summary>
    /// Starts the span of work done for one upload: a child of the upload's context (<paramref name="traceParent"/>), linked
    /// to the span that was current (the push request, the pump, a flush), so both traces lead to each other. Null when the
    /// upload has no usable context and nothing listens. When the trace is sampled out, an unrecorded activity still carries
    /// the upload's trace id, so log lines written inside it name the upload's trace.
    /// </summary>
    public static Activity? StartForUpload(string name, string? traceParent, ActivityKind kind = ActivityKind.Internal)
        => TryParse(traceParent, out var parent) ? StartChildOf(name, parent, kind) : Source.StartActivity(name, kind);

    private static Activity? StartChildOf(string name, ActivityContext parent, ActivityKind kind)
    {
        var current = Activity.Current;
        if (current?.TraceId == parent.TraceId) return Source.StartActivity(name, kind);
        ActivityLink[]? links = current is null ? null : [new ActivityLink(current.Context)];
        return Source.StartActivity(name, kind, parent, links: links) ?? StartUnlistened(name, parent);
    }

    /// <summary>
    /// Starts the span of work done for several uploads at once (a batch load): a child of the current span, linked to each
    /// upload's context. With exactly one upload context it is <see cref="StartForUpload"/>.
    /// </summary>
    public static Activity? StartForUploads(string name, IEnumerable<string?> traceParents)
    {
        // One context per trace, and no more than the span links: a batch of a thousand uploads is not parsed a thousand
        // times into a list searched a thousand times.
        var contexts = new List<ActivityContext>();
        var traces = new HashSet<ActivityTraceId>();
        foreach (var tp in traceParents)
        {
            if (TryParse(tp, out var c) && traces.Add(c.TraceId)) contexts.Add(c);
            if (contexts.Count == MaxLinks) break;
        }
        if (contexts.Count == 1) return StartChildOf(name, contexts[0], ActivityKind.Internal);
        return Source.StartActivity(name, ActivityKind.Internal, Activity.Current?.Context ?? default,
            links: contexts.Select(c => new ActivityLink(c)));
    }

    /// <summary>Most links one batch span records (a batch may hold thousands of uploads).</summary>
    private const int MaxLinks = 128;

    // Without a tracer provider (a host that registers none) an activity is still worth having: it puts the upload's
    // trace id on every log line written inside it.
    private static Activity StartUnlistened(string name, ActivityContext parent) =>
        new Activity(name).SetParentId(parent.TraceId, parent.SpanId, parent.TraceFlags).Start();
}
