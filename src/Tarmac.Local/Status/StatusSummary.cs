namespace Tarmac.Local.Status;

/// <summary>The last hour of the local host, as the status page draws it (<c>GET /status/summary</c>).</summary>
/// <param name="GeneratedAt">When this summary was made; ages and the current minute are measured from it.</param>
/// <param name="Minutes">Start of each of the 60 minutes, oldest first; every per-minute series below follows this order.</param>
/// <param name="Requests">Every answered request.</param>
/// <param name="Posts">Upload POSTs, their latency and their 5xx.</param>
/// <param name="Objectives">Each service level objective over the hour, with its error-budget burn rate.</param>
/// <param name="Datasets">Uploads, rows and freshness of each dataset.</param>
/// <param name="RecentUploads">The most recently received uploads, newest first.</param>
public sealed record StatusSummary(
    DateTimeOffset GeneratedAt,
    IReadOnlyList<DateTimeOffset> Minutes,
    RequestTraffic Requests,
    PostTraffic Posts,
    IReadOnlyList<ObjectiveStatus> Objectives,
    IReadOnlyList<DatasetActivity> Datasets,
    IReadOnlyList<RecentUpload> RecentUploads);
