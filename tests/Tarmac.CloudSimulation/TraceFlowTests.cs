using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.CloudSimulation.Harness;
using Tarmac.Core.Uploads;
using static Tarmac.CloudSimulation.Harness.Flow;

namespace Tarmac.CloudSimulation;

/// <summary>
/// Issue 15, item 3 on the Google Cloud flow: the upload's trace context rides in the object's Cloud Storage metadata
/// (<c>x-goog-meta-traceparent</c>), arrives in the notification's object resource (payload <c>JSON_API_V1</c>,
/// https://cloud.google.com/storage/docs/pubsub-notifications), and process's spans and Cloud Logging lines join that trace.
/// The stand-in's push carries no trace header, as Pub/Sub's push of a storage notification does not.
/// </summary>
public sealed class TraceFlowTests : IAsyncDisposable
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _listener;

    public TraceFlowTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == Tarmac.ServiceDefaults.TarmacTracing.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _spans.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public ValueTask DisposeAsync()
    {
        _listener.Dispose();
        return ValueTask.CompletedTask;
    }

    private static Task<CloudDeployment> StartAsync() => CloudDeployment.StartAsync(configure: s => s.BigQuery.StreamingDelay = TimeSpan.Zero);

    /// <summary>The Cloud Logging lines the function's instances wrote so far.</summary>
    private static List<JsonElement> LinesOf(CloudDeployment d, CloudFunction function) =>
        new[] { d.Ingest, d.Query }.Concat(d.Processes).Where(h => h.Function == function).SelectMany(h => h.Logs.Entries).Select(e => e.Line).ToList();

    private static string NewTraceId() => ActivityTraceId.CreateRandom().ToHexString();

    private static string Trace(string traceId) => $"projects/{CloudDeployment.Project}/traces/{traceId}";

    private static string? Field(JsonElement line, string name) =>
        line.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>Waits for the status and the load's log line, then checks that both, and process's spans, are in the trace.</summary>
    private async Task AssertLoadedInTraceAsync(CloudDeployment d, string uploadId, string traceId)
    {
        await EventuallyAsync(async () => await StatusTextAsync(d, uploadId) == "loaded", "status loaded");
        var (_, status) = await StatusAsync(d, uploadId);
        Assert.Equal(traceId, status.GetProperty("trace_id").GetString());

        JsonElement load = default;
        await EventuallyAsync(() => Task.FromResult(LinesOf(d, CloudFunction.Process).Any(l =>
            (load = l).ValueKind == JsonValueKind.Object && Field(l, "event") == "upload_processed" && Field(l, "upload_id") == uploadId)), "the upload_processed line");
        Assert.Equal(Trace(traceId), Field(load, "logging.googleapis.com/trace"));
        Assert.Equal("loaded", Field(load, "status"));
        Assert.Equal(7, load.GetProperty("rows_loaded").GetInt64());

        // The push's own span: a child of the upload's context (its trace), consuming the message.
        var push = Assert.Single(_spans, s => s.OperationName == "tarmac.process.push" && s.TraceId.ToHexString() == traceId);
        Assert.Equal(ActivityKind.Consumer, push.Kind);
        Assert.Contains(_spans, s => s.OperationName == "tarmac.process" && s.TraceId.ToHexString() == traceId && s.ParentSpanId == push.SpanId);
    }

    [Fact]
    public async Task A_POSTs_traceparent_rides_in_the_objects_metadata_and_process_joins_its_trace()
    {
        await using var d = await StartAsync();
        var traceId = NewTraceId();

        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = d.Ingest.BaseUri };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = new StringContent(SeedCsv, Encoding.UTF8, "text/csv") };
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-a1b2c3d4e5f60718-01");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var posted = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(traceId, posted.GetProperty("trace_id").GetString());

        var blob = d.StandIn.Storage.Get(CloudDeployment.Bucket, posted.GetProperty("object").GetString()!)!;
        Assert.Matches($"^00-{traceId}-[0-9a-f]{{16}}-01$", blob.Metadata["traceparent"]);
        Assert.Contains(LinesOf(d, CloudFunction.Ingest), l => Field(l, "logging.googleapis.com/trace") == Trace(traceId) && (Field(l, "message") ?? "").StartsWith("POST /upload 200 ", StringComparison.Ordinal));
        await AssertLoadedInTraceAsync(d, posted.GetProperty("upload_id").GetString()!, traceId);
    }

    /// <summary>
    /// An object that reaches the bucket without ingest (a signed resumable upload: the ticket request's traceparent is signed
    /// into its metadata) is known only by its metadata: process registers it under that trace.
    /// </summary>
    [Fact]
    public async Task An_object_known_only_by_its_metadata_is_registered_and_loaded_in_the_trace_its_metadata_names()
    {
        await using var d = await StartAsync();
        var traceId = NewTraceId();
        var id = UploadIds.New();
        var name = UploadIds.ObjectName("flights", id, DateTimeOffset.UtcNow);

        d.StandIn.Storage.Put(CloudDeployment.Bucket, name, Encoding.UTF8.GetBytes(SeedCsv),
            new Dictionary<string, string> { ["upload_id"] = id, ["dataset"] = "flights", ["traceparent"] = $"00-{traceId}-0102030405060708-01" }, "text/csv");

        await AssertLoadedInTraceAsync(d, id, traceId);
    }

    /// <summary>Metadata is whatever the uploader sent: a value that is not a traceparent is ignored, and the upload still loads.</summary>
    [Fact]
    public async Task A_malformed_traceparent_in_metadata_is_ignored_and_the_object_still_loads()
    {
        await using var d = await StartAsync();
        var id = UploadIds.New();
        var name = UploadIds.ObjectName("flights", id, DateTimeOffset.UtcNow);

        d.StandIn.Storage.Put(CloudDeployment.Bucket, name, Encoding.UTF8.GetBytes(SeedCsv),
            new Dictionary<string, string> { ["traceparent"] = "00-" + new string('z', 32) + "-0102030405060708-01\nforged" }, "text/csv");

        await EventuallyAsync(async () => await StatusTextAsync(d, id) == "loaded", "status loaded");
        var (_, status) = await StatusAsync(d, id);
        Assert.Equal(JsonValueKind.Null, status.GetProperty("trace_id").ValueKind);
        Assert.Equal(7, status.GetProperty("rows_loaded").GetInt64());
    }
}
