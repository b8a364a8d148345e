using Tarmac.CloudSimulation.Harness;
using static Tarmac.CloudSimulation.Harness.Flow;

namespace Tarmac.CloudSimulation;

/// <summary>
/// The log-based metrics in <c>infra/modules/monitoring/main.tf</c> count lines by <c>jsonPayload.event</c> and read
/// their labels with <c>EXTRACT(jsonPayload.&lt;field&gt;)</c>. Cloud Logging puts a structured line's fields under
/// <c>jsonPayload</c> (https://cloud.google.com/logging/docs/structured-logging), so each event and field named there
/// must be what the functions log; a renamed field silently empties a metric and its alert never fires.
/// </summary>
public sealed class LogMetricContractTests
{
    private static readonly string Monitoring = File.ReadAllText(Path.Combine(RepoRoot(), "infra", "modules", "monitoring", "main.tf"));

    private static void Lenient(StandIn.CloudStandIn s)
    {
        s.PubSub.StripSignature = false;
        s.BigQuery.StreamingDelay = TimeSpan.Zero;
    }

    [Fact]
    public async Task A_loaded_upload_and_the_scheduled_runs_log_what_the_metrics_count()
    {
        await using var d = await CloudDeployment.StartAsync(configure: Lenient, settings: s => s["TARMAC_BATCH_WINDOW_MS"] = "600000");
        var id = await PostAsync(d, SeedCsv);
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(30));
        using (var flush = await d.SchedulerCallAsync(0, "/flush")) Assert.True(flush.IsSuccessStatusCode, await flush.Content.ReadAsStringAsync());
        using (var sweep = await d.SchedulerCallAsync(0, "/sweep")) Assert.True(sweep.IsSuccessStatusCode, await sweep.Content.ReadAsStringAsync());
        await EventuallyAsync(async () => await StatusTextAsync(d, id) == "loaded", "status loaded");

        var logs = d.Processes[0].Logs;
        var processed = Assert.Single(MetricLines(logs, "upload_processed", "dataset", "status", "rows_loaded", "rows_rejected"));
        Assert.Equal(("flights", "loaded", "7", "0"),
            (processed.Fields["dataset"], processed.Fields["status"], processed.Fields["rows_loaded"], processed.Fields["rows_rejected"]));

        var runs = MetricLines(logs, "scheduled_run", "run", "outcome").Select(l => (l.Fields["run"], l.Fields["outcome"])).ToArray();
        Assert.Equal([("flush", "ok"), ("sweep", "ok")], runs);
    }

    [Fact]
    public async Task A_failing_load_job_logs_its_dataset_and_reason_and_the_failed_run()
    {
        await using var d = await CloudDeployment.StartAsync(configure: Lenient, settings: s => s["TARMAC_BATCH_WINDOW_MS"] = "600000");
        await PostAsync(d, SeedCsv);
        await d.StandIn.PubSub.WhenSettledAsync(TimeSpan.FromSeconds(30));
        d.StandIn.BigQuery.FailNextLoadJobs(1, "backendError");

        using (var flush = await d.SchedulerCallAsync(0, "/flush")) Assert.Equal(503, (int)flush.StatusCode);

        var logs = d.Processes[0].Logs;
        var failed = Assert.Single(MetricLines(logs, "load_job_failed", "dataset", "error_reason"));
        Assert.Equal(("flights", "backendError"), (failed.Fields["dataset"], failed.Fields["error_reason"]));
        var run = Assert.Single(MetricLines(logs, "scheduled_run", "run", "outcome"));
        Assert.Equal(("flush", "failed"), (run.Fields["run"], run.Fields["outcome"]));
    }

    [Fact]
    public async Task An_audit_append_that_keeps_failing_logs_audit_write_failed_and_the_upload_still_succeeds()
    {
        await using var d = await CloudDeployment.StartAsync(configure: s =>
        {
            Lenient(s);
            s.Faults.FailNext("bigquery.insertAll", 500, times: 1000);
        });
        await PostAsync(d, SeedCsv);

        var failed = Assert.Single(MetricLines(d.Ingest.Logs, "audit_write_failed"));
        Assert.Equal("stored", failed.Fields["status"]);
    }

    /// <summary>The lines of <paramref name="name"/>, after checking that main.tf counts that event and extracts those fields.</summary>
    private static IReadOnlyList<CapturedLog> MetricLines(CapturedLogs logs, string name, params string[] fields)
    {
        Assert.Contains($"jsonPayload.event=\\\"{name}\\\"", Monitoring, StringComparison.Ordinal);
        foreach (var f in fields) Assert.Contains($"EXTRACT(jsonPayload.{f})", Monitoring, StringComparison.Ordinal);
        var lines = logs.OfEvent(name);
        Assert.All(lines, l => Assert.All(fields, f => Assert.False(string.IsNullOrEmpty(l.Fields.GetValueOrDefault(f)), $"{name} line without {f}: {l.Message}")));
        return lines;
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Tarmac.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"No Tarmac.slnx above {AppContext.BaseDirectory}");
    }
}
