using System.Net;
using System.Text.Json.Nodes;

namespace Tarmac.GoogleCloud.BigQuery;

public sealed partial class BigQueryClient
{
    /// <summary>
    /// <c>jobs.insert</c>. A 409 (the id exists: a duplicate delivery, or a retried insert that had landed)
    /// returns the existing job from <c>jobs.get</c> instead, so the same work is never submitted twice.
    /// </summary>
    /// <returns>The job, and whether it existed before this call.</returns>
    public async Task<(JsonObject Job, bool Existed)> InsertJobAsync(string jobId, JsonObject configuration, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["jobReference"] = new JsonObject { ["projectId"] = Project, ["jobId"] = jobId, ["location"] = _options.Location },
            ["configuration"] = configuration.DeepClone(),
        };
        try
        {
            return ((JsonObject)(await SendAsync(HttpMethod.Post, $"projects/{Project}/jobs", body, ct))!, false);
        }
        catch (BigQueryException e) when (e.Status == HttpStatusCode.Conflict)
        {
            return (await GetJobAsync(jobId, ct) ?? throw new BigQueryException($"Job {jobId} exists (409) but jobs.get does not find it.", HttpStatusCode.Conflict, "duplicate"), true);
        }
    }

    /// <summary><c>jobs.get</c>; null when there is no such job.</summary>
    public async Task<JsonObject?> GetJobAsync(string jobId, CancellationToken ct)
    {
        try
        {
            return (JsonObject?)await SendAsync(HttpMethod.Get, $"projects/{Project}/jobs/{Uri.EscapeDataString(jobId)}?location={Location}", null, ct);
        }
        catch (BigQueryException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary><c>tables.get</c> of a table in the dataset; null when there is no such table.</summary>
    public async Task<JsonObject?> GetTableAsync(string table, CancellationToken ct)
    {
        try
        {
            return (JsonObject?)await SendAsync(HttpMethod.Get, $"projects/{Project}/datasets/{Dataset}/tables/{Uri.EscapeDataString(table)}", null, ct);
        }
        catch (BigQueryException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Re-reads a job until its state is DONE (polling with a growing pause), and returns it.</summary>
    public async Task<JsonObject> WaitForJobAsync(JsonObject job, TimeSpan pollStart, CancellationToken ct)
    {
        var jobId = job["jobReference"]?["jobId"]?.GetValue<string>() ?? throw new BigQueryException("A job answer has no jobReference.jobId.", null, null);
        var pause = pollStart;
        while (StateOf(job) != "DONE")
        {
            await Task.Delay(pause, ct);
            pause = TimeSpan.FromMilliseconds(Math.Min(pause.TotalMilliseconds * 2, 5000));
            job = await GetJobAsync(jobId, ct) ?? throw new BigQueryException($"Job {jobId} disappeared while running.", HttpStatusCode.NotFound, "notFound");
        }
        return job;
    }

    /// <summary>The job's state: PENDING, RUNNING or DONE.</summary>
    public static string? StateOf(JsonObject job) => job["status"]?["state"]?.GetValue<string>();

    /// <summary>The job's <c>errorResult</c> as an exception, or null when it succeeded.</summary>
    public static BigQueryException? ErrorOf(JsonObject job)
    {
        if (job["status"]?["errorResult"] is not JsonObject error) return null;
        var reason = error["reason"]?.GetValue<string>();
        var message = error["message"]?.GetValue<string>();
        var details = job["status"]?["errors"] is JsonArray all && all.Count > 1
            ? $" ({all.Count} errors; first: {all[0]?["message"]})" : "";
        return new BigQueryException($"BigQuery job {job["jobReference"]?["jobId"]} failed: {reason}: {message}{details}", null, reason);
    }
}
