using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;

namespace Tarmac.Local.Status;

/// <summary>Puts the window's hour together with what the ledger and the warehouse know (recent uploads, freshness).</summary>
internal sealed class StatusSummaryBuilder(StatusWindow window, IUploadLedger ledger, IWarehouseReader warehouse, SchemaCatalog catalog, TimeProvider time)
{
    /// <summary>Uploads listed on the page.</summary>
    public const int RecentUploads = 20;

    public async Task<StatusSummary> BuildAsync(CancellationToken ct)
    {
        var minutes = window.Snapshot();
        var now = time.GetUtcNow();
        var requests = new RequestTraffic(minutes.Sum(m => m.Requests), minutes.Sum(m => m.Requests5xx),
            [.. minutes.Select(m => m.Requests)], [.. minutes.Select(m => m.Requests5xx)]);
        var posts = Posts(minutes);
        var datasets = new List<DatasetActivity>();
        for (var i = 0; i < window.Datasets.Count; i++)
        {
            var name = window.Datasets[i];
            DateTimeOffset? lastLoad = catalog.TryGet(name, out var schema) ? (await warehouse.GetVersionAsync(schema, ct)).LastLoadedAt : null;
            var d = i;
            datasets.Add(new DatasetActivity(name, minutes.Sum(m => m.Uploads[d]), minutes.Sum(m => m.RowsLoaded[d]), minutes.Sum(m => m.RowsRejected[d]),
                [.. minutes.Select(m => m.Uploads[d])], [.. minutes.Select(m => m.RowsLoaded[d])],
                lastLoad, lastLoad is { } at ? Math.Round(Math.Max(0, (now - at).TotalSeconds), 1) : null));
        }
        var recent = await ledger.ListRecentAsync(RecentUploads, ct);
        return new StatusSummary(now, [.. minutes.Select(m => m.Start)], requests, posts, Objectives(requests, posts), datasets,
            [.. recent.Select(Recent)]);
    }

    private static PostTraffic Posts(IReadOnlyList<WindowMinute> minutes)
    {
        var hour = new long[LatencyHistogram.BucketCount];
        foreach (var m in minutes)
            for (var b = 0; b < hour.Length; b++) hour[b] += m.PostLatency[b];
        return new PostTraffic(minutes.Sum(m => m.Posts), minutes.Sum(m => m.Posts5xx), minutes.Sum(m => m.PostsOverThreshold),
            LatencyHistogram.Quantile(hour, 0.5), LatencyHistogram.Quantile(hour, 0.95),
            [.. minutes.Select(m => m.Posts)], [.. minutes.Select(m => m.Posts5xx)],
            [.. minutes.Select(m => LatencyHistogram.Quantile(m.PostLatency, 0.5))],
            [.. minutes.Select(m => LatencyHistogram.Quantile(m.PostLatency, 0.95))]);
    }

    private static List<ObjectiveStatus> Objectives(RequestTraffic requests, PostTraffic posts) =>
    [
        Objective("post_latency", $"{Percent(StatusObjectives.PostLatencyGoal)} of POST requests under {StatusObjectives.PostLatencyThresholdMs} ms",
            StatusObjectives.PostLatencyGoal, posts.Total, posts.OverThreshold),
        Objective("post_errors", $"Fewer than {Percent(1 - StatusObjectives.PostErrorsGoal)} of POST requests return 5xx",
            StatusObjectives.PostErrorsGoal, posts.Total, posts.ServerErrors),
        Objective("availability", $"{Percent(StatusObjectives.AvailabilityGoal)} of requests answered without a 5xx",
            StatusObjectives.AvailabilityGoal, requests.Total, requests.ServerErrors),
    ];

    private static string Percent(double share) => (share * 100).ToString("0.###", System.Globalization.CultureInfo.InvariantCulture) + "%";

    private static ObjectiveStatus Objective(string id, string title, double goal, long total, long bad)
    {
        if (total == 0) return new ObjectiveStatus(id, title, goal, 0, 0, null, 0, StatusObjectives.BurnRateAlert, true);
        var badShare = (double)bad / total;
        var good = 1 - badShare;
        // Rounded so that 1 bad in 100 reads as a burn rate of 1, not 0.99999999999999989.
        return new ObjectiveStatus(id, title, goal, total, bad, Math.Round(good, 6), Math.Round(badShare / (1 - goal), 2),
            StatusObjectives.BurnRateAlert, Math.Round(good, 9) >= goal);
    }

    private static RecentUpload Recent(UploadRecord u) => new(
        u.UploadId, u.Dataset, u.Status, u.Bytes, u.RowsLoaded, u.RowsRejected, u.Errors.Count,
        u.Errors.Count > 0 ? Describe(u.Errors[0]) : null, u.ReceivedAt, u.CompletedAt, $"/uploads/{u.UploadId}");

    // The stored internal error of a failed upload is never shown (its status document shows a public sentence instead).
    private static string Describe(Tarmac.Core.Validation.RowError e) =>
        e.Column is null ? $"line {e.Line}: {e.Reason}" : $"line {e.Line}, {e.Column}: {e.Reason}";
}
