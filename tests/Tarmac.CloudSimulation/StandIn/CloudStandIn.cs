using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Tarmac.CloudSimulation.StandIn;

/// <summary>
/// One Kestrel server on 127.0.0.1:0 that stands in for the Google APIs Tarmac calls, each behaving as Google's
/// documentation says (the page is cited next to the code that encodes each behaviour):
/// <list type="bullet">
/// <item><see cref="Storage"/>: the Cloud Storage JSON API as <c>Google.Cloud.Storage.V1</c> uses it (<c>STORAGE_EMULATOR_HOST</c>).</item>
/// <item><see cref="BigQuery"/>: BigQuery REST v2 (<c>TARMAC_BIGQUERY_ENDPOINT</c>), whose queries run on an embedded DuckDB.</item>
/// <item><see cref="Identity"/>: IAM <c>signBlob</c> (<c>TARMAC_IAM_ENDPOINT</c>) and Google's OIDC issuer (<c>TARMAC_PUSH_JWKS_URL</c>).</item>
/// <item><see cref="PubSub"/>: the push deliverer of the bucket's notification, and the dead-letter pull subscription (Pub/Sub REST v1).</item>
/// <item><see cref="Faults"/>: 429/5xx bursts and slow answers per route.</item>
/// </list>
/// </summary>
public sealed class CloudStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;

    public CloudStandIn(string project = "tarmac-sim", string dataset = "tarmac_ds", int faultSeed = 42)
    {
        Project = project;
        DatasetId = dataset;
        Faults = new FaultPlan(faultSeed);
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(HandleAsync);
        _app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = _app.Urls.First().TrimEnd('/');
        Storage = new StorageStandIn(this);
        BigQuery = new BigQueryStandIn(this);
        Identity = new IdentityStandIn();
        PubSub = new PubSubStandIn(this);
    }

    /// <summary>The one project the stand-in serves.</summary>
    public string Project { get; }

    /// <summary>The one BigQuery dataset the stand-in serves.</summary>
    public string DatasetId { get; }

    /// <summary>http://127.0.0.1:port, no trailing slash.</summary>
    public string BaseUrl { get; }

    public StorageStandIn Storage { get; }
    public BigQueryStandIn BigQuery { get; }
    public IdentityStandIn Identity { get; }
    public PubSubStandIn PubSub { get; }
    public FaultPlan Faults { get; }

    public string BigQueryEndpoint => $"{BaseUrl}/bigquery/v2/";
    public string IamEndpoint => $"{BaseUrl}/iam/v1/";
    public string JwksUrl => $"{BaseUrl}/oauth2/v3/certs";
    public string PubSubEndpoint => $"{BaseUrl}/pubsub/v1/";

    /// <summary>Every request answered: route, method, path, status.</summary>
    public ConcurrentQueue<Exchange> Exchanges { get; } = new();

    /// <summary>Called before a request is served; a test may hold it (await) or abort it (<c>ctx.Abort()</c>, then return true).</summary>
    public Func<string, HttpContext, JsonNode?, Task<bool>>? BeforeServe { get; set; }

    /// <summary>Called after a request was answered (not for requests a <see cref="BeforeServe"/> hook aborted).</summary>
    public Action<string, HttpContext>? AfterServe { get; set; }

    public int Count(string route) => Exchanges.Count(e => e.Route == route);

    private async Task HandleAsync(HttpContext ctx)
    {
        var raw = ctx.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var q = raw.IndexOf('?', StringComparison.Ordinal);
        var segments = (q < 0 ? raw : raw[..q]).Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        var body = await ReadAllAsync(ctx.Request);
        JsonNode? json = null;
        if (body.Length > 0 && (ctx.Request.ContentType?.Contains("json", StringComparison.Ordinal) ?? false))
            try { json = JsonNode.Parse(body); } catch (JsonException) { }
        var request = new StandInRequest(ctx, segments, body, json);
        var route = RouteOf(ctx.Request.Method, segments);
        try
        {
            if (BeforeServe is { } hook && await hook(route, ctx, json)) { Record(route, ctx, 0); return; }
            if (await Faults.TryInjectAsync(route, ctx, request, () => ServeAsync(route, request))) { Record(route, ctx, ctx.Response.StatusCode); return; }
            await ServeAsync(route, request);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            return;
        }
        catch (Exception e) when (!ctx.Response.HasStarted)
        {
            await Problem.Write(ctx, 500, "internalError", $"stand-in failed: {e}");
        }
        Record(route, ctx, ctx.Response.StatusCode);
        AfterServe?.Invoke(route, ctx);
    }

    private void Record(string route, HttpContext ctx, int status) =>
        Exchanges.Enqueue(new Exchange(route, ctx.Request.Method, ctx.Request.Path + ctx.Request.QueryString, status, DateTimeOffset.UtcNow));

    private Task ServeAsync(string route, StandInRequest r) => route switch
    {
        _ when route.StartsWith("storage.", StringComparison.Ordinal) => Storage.ServeAsync(route, r),
        _ when route.StartsWith("bigquery.", StringComparison.Ordinal) => BigQuery.ServeAsync(route, r),
        "iam.signBlob" => Identity.SignBlobAsync(r),
        "oidc.jwks" => Problem.Json(r.Context, 200, JsonNode.Parse(Identity.Jwks)!),
        _ when route.StartsWith("pubsub.", StringComparison.Ordinal) => PubSub.ServeAsync(route, r),
        _ => Problem.Write(r.Context, 404, "notFound", $"The stand-in does not serve {r.Context.Request.Method} /{string.Join('/', r.Segments)}"),
    };

    /// <summary>The route name of a request (what faults and counts are keyed by).</summary>
    public static string RouteOf(string method, string[] s) => (method, s) switch
    {
        ("POST", ["upload", "storage", "v1", "b", _, "o"]) => "storage.upload",
        ("PUT", ["upload", "storage", "v1", "b", _, "o"]) => "storage.upload",
        ("GET", ["storage", "v1", "b", _, "o"]) => "storage.list",
        ("GET", ["storage", "v1", "b", _, "o", _]) => "storage.get",
        ("GET", ["download", "storage", "v1", "b", _, "o", _]) => "storage.get",
        ("DELETE", ["storage", "v1", "b", _, "o", _]) => "storage.delete",
        ("PATCH", ["storage", "v1", "b", _, "o", _]) => "storage.patch",
        ("POST", ["bigquery", "v2", "projects", _, "jobs"]) => "bigquery.jobs.insert",
        ("GET", ["bigquery", "v2", "projects", _, "jobs", _]) => "bigquery.jobs.get",
        ("POST", ["bigquery", "v2", "projects", _, "jobs", _, "cancel"]) => "bigquery.jobs.cancel",
        ("POST", ["bigquery", "v2", "projects", _, "queries"]) => "bigquery.query",
        ("GET", ["bigquery", "v2", "projects", _, "queries", _]) => "bigquery.getQueryResults",
        ("POST", ["bigquery", "v2", "projects", _, "datasets", _, "tables", _, "insertAll"]) => "bigquery.insertAll",
        ("GET", ["bigquery", "v2", "projects", _, "datasets", _, "tables", _]) => "bigquery.tables.get",
        ("POST", ["iam", "v1", "projects", _, "serviceAccounts", var sa]) when sa.EndsWith(":signBlob", StringComparison.Ordinal) => "iam.signBlob",
        ("GET", ["oauth2", "v3", "certs"]) => "oidc.jwks",
        ("POST", [.., "projects", _, "subscriptions", var sub]) when sub.EndsWith(":pull", StringComparison.Ordinal) => "pubsub.pull",
        ("POST", [.., "projects", _, "subscriptions", var sub]) when sub.EndsWith(":acknowledge", StringComparison.Ordinal) => "pubsub.acknowledge",
        _ => "unknown",
    };

    private static async Task<byte[]> ReadAllAsync(HttpRequest request)
    {
        Stream source = request.Headers.ContentEncoding.ToString() == "gzip"
            ? new System.IO.Compression.GZipStream(request.Body, System.IO.Compression.CompressionMode.Decompress) : request.Body;
        using var ms = new MemoryStream();
        await source.CopyToAsync(ms);
        return ms.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await PubSub.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        BigQuery.Dispose();
        Identity.Dispose();
    }
}
