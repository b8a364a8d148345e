using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Tarmac.GoogleCloud.Tests;

/// <summary>
/// Cloud Storage (JSON API: resumable upload with ifGenerationMatch, get, media download, list), BigQuery
/// (jobs.insert/get, jobs.query, getQueryResults, tabledata.insertAll), IAM signBlob and a JWKS URL, played by
/// one Kestrel server on 127.0.0.1 as their REST references define them. Every request is recorded; faults can be
/// queued per route. Its BigQuery "executes" the few query shapes Tarmac sends by their parameters, over the rows
/// that load jobs and insertAll put into it.
/// </summary>
public sealed class FakeGoogleCloud : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Blob> _objects = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, MemoryStream> _sessions = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string Name, JsonObject Resource, long? IfGenerationMatch)> _sessionTargets = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<Fault> _faults = new();
    private long _generation = 1_700_000_000_000_000;
    private int _queryJobs;

    public FakeGoogleCloud()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(HandleAsync);
        _app.StartAsync().GetAwaiter().GetResult();
        BaseUrl = _app.Urls.First().TrimEnd('/');
    }

    public string BaseUrl { get; }
    public string BigQueryEndpoint => $"{BaseUrl}/bigquery/v2/";
    public string IamEndpoint => $"{BaseUrl}/iam/v1/";
    public string JwksUrl => $"{BaseUrl}/oauth2/v3/certs";

    /// <summary>JWKS document served at <see cref="JwksUrl"/>.</summary>
    public string Jwks { get; set; } = """{"keys":[]}""";

    /// <summary>Every request: method, decoded path, query, body.</summary>
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Jobs by id (the body as inserted, plus status).</summary>
    public ConcurrentDictionary<string, JsonObject> Jobs { get; } = new(StringComparer.Ordinal);

    /// <summary>Rows per table: load jobs append the staged NDJSON, insertAll its rows (deduplicated by insertId).</summary>
    public ConcurrentDictionary<string, List<JsonObject>> Tables { get; } = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, byte> _insertIds = new(StringComparer.Ordinal);

    /// <summary>Load jobs answer RUNNING on insert and DONE on the next jobs.get (so callers must poll).</summary>
    public bool JobsStartRunning { get; set; } = true;

    /// <summary>The next N load jobs inserted finish with this errorResult reason (and load nothing).</summary>
    public int FailNextLoadJobs { get; set; }
    public string LoadJobFailureReason { get; set; } = "invalid";

    /// <summary>The next insertAll answers 200 with an insertErrors entry for its first row (and stores nothing).</summary>
    public bool RejectNextInsertAll { get; set; }

    /// <summary>Queries never complete: jobs.query and getQueryResults answer jobComplete=false (after a short server-side wait).</summary>
    public bool QueriesNeverComplete { get; set; }

    /// <summary>Rows per query page, so results over several pages exercise page tokens.</summary>
    public int QueryPageSize { get; set; } = 1000;

    /// <summary>IAM signBlob answers with this signature (base64) for any payload.</summary>
    public string SignedBlob { get; set; } = Convert.ToBase64String(Encoding.ASCII.GetBytes("fake-signature"));

    /// <summary>Answers the next <paramref name="times"/> requests whose method and path match with an error.</summary>
    public void Fail(string method, string pathContains, int status, int times = 1, string reason = "backendError")
    {
        for (var i = 0; i < times; i++) _faults.Enqueue(new Fault(method, pathContains, status, reason));
    }

    /// <summary>Answers the next <paramref name="times"/> requests that satisfy <paramref name="when"/> with an error.</summary>
    public void FailWhen(Func<RecordedRequest, bool> when, int status, int times, string reason = "backendError")
    {
        lock (_conditional) _conditional.Add((when, status, reason, times));
    }

    private readonly List<(Func<RecordedRequest, bool> When, int Status, string Reason, int Left)> _conditional = [];

    public IEnumerable<RecordedRequest> RequestsTo(string method, string pathContains) =>
        Requests.Where(r => r.Method == method && r.Path.Contains(pathContains, StringComparison.Ordinal));

    public IEnumerable<JsonObject> LoadJobInserts() =>
        RequestsTo("POST", "/bigquery/v2/projects/").Where(r => r.Path.EndsWith("/jobs", StringComparison.Ordinal)).Select(r => r.Json!.AsObject());

    public byte[]? ObjectBytes(string bucket, string name) => _objects.TryGetValue($"{bucket}/{name}", out var b) ? b.Data : null;
    public IReadOnlyDictionary<string, string>? ObjectMetadata(string bucket, string name) => _objects.TryGetValue($"{bucket}/{name}", out var b) ? b.Metadata : null;
    public IEnumerable<string> ObjectNames(string bucket, string prefix) =>
        _objects.Values.Where(o => o.Bucket == bucket && o.Name.StartsWith(prefix, StringComparison.Ordinal)).Select(o => o.Name).Order(StringComparer.Ordinal);

    /// <summary>Puts an object as if a client had uploaded it; returns its generation.</summary>
    public long PutObject(string bucket, string name, byte[] data, Dictionary<string, string>? metadata = null)
    {
        var blob = new Blob(bucket, name, Interlocked.Increment(ref _generation), data, metadata ?? []);
        _objects[$"{bucket}/{name}"] = blob;
        return blob.Generation;
    }

    public void DeleteObject(string bucket, string name) => _objects.TryRemove($"{bucket}/{name}", out _);

    public List<JsonObject> Rows(string table) => Tables.GetOrAdd(table, _ => []);

    /// <summary>Every row insertAll accepted for <paramref name="table"/>, visible to queries or not.</summary>
    public List<JsonObject> InsertedRows(string table) => _streamed.GetOrAdd(table, _ => []);

    private readonly ConcurrentDictionary<string, List<JsonObject>> _streamed = new(StringComparer.Ordinal);

    /// <summary>When false, rows sent by insertAll are accepted but never become visible to queries.</summary>
    public bool StreamedRowsVisible { get; set; } = true;

    /// <summary>The live generation of an object (0 when absent).</summary>
    public long ObjectGeneration(string bucket, string name) => _objects.TryGetValue($"{bucket}/{name}", out var b) ? b.Generation : 0;

    private async Task HandleAsync(HttpContext ctx)
    {
        var raw = ctx.Features.Get<IHttpRequestFeature>()!.RawTarget;
        var q = raw.IndexOf('?', StringComparison.Ordinal);
        var rawPath = q < 0 ? raw : raw[..q];
        var query = ctx.Request.Query;
        var body = await ReadAllAsync(ctx.Request.Headers.ContentEncoding.ToString() == "gzip"
            ? new System.IO.Compression.GZipStream(ctx.Request.Body, System.IO.Compression.CompressionMode.Decompress) : ctx.Request.Body);
        JsonNode? json = null;
        if (body.Length > 0 && (ctx.Request.ContentType?.Contains("json", StringComparison.Ordinal) ?? false))
            try { json = JsonNode.Parse(body); } catch (JsonException) { }
        var segments = rawPath.Trim('/').Split('/').Select(Uri.UnescapeDataString).ToArray();
        var path = "/" + string.Join('/', segments);
        var recorded = new RecordedRequest(ctx.Request.Method, path, ctx.Request.QueryString.Value ?? "",
            ctx.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString()), body, json);
        Requests.Enqueue(recorded);
        lock (_conditional)
        {
            var i = _conditional.FindIndex(c => c.Left > 0 && c.When(recorded));
            if (i >= 0)
            {
                var c = _conditional[i];
                _conditional[i] = c with { Left = c.Left - 1 };
                ctx.Response.StatusCode = c.Status; // written below, outside the lock
            }
        }
        if (ctx.Response.StatusCode >= 400)
        {
            await Error(ctx, ctx.Response.StatusCode, "backendError", "injected");
            return;
        }

        foreach (var f in _faults)
        {
            if (f.Method == ctx.Request.Method && path.Contains(f.PathContains, StringComparison.Ordinal) && TryDequeue(f))
            {
                await Error(ctx, f.Status, f.Reason, $"injected {f.Status}");
                return;
            }
        }

        try
        {
            if (path == "/oauth2/v3/certs") { await Text(ctx, 200, Jwks, "application/json"); return; }
            if (segments is ["iam", "v1", "projects", _, "serviceAccounts", var sa] && sa.EndsWith(":signBlob", StringComparison.Ordinal))
            {
                await Json(ctx, 200, new JsonObject { ["keyId"] = "k1", ["signedBlob"] = SignedBlob });
                return;
            }
            if (segments is ["upload", "storage", "v1", "b", var ub, "o"]) { await UploadAsync(ctx, ub, query, json, body); return; }
            if (segments is ["storage", "v1", "b", var bucket, "o"]) { await ListAsync(ctx, bucket, query); return; }
            if (segments is ["storage", "v1", "b", var gb, "o", var name])
            {
                if (!_objects.TryGetValue($"{gb}/{name}", out var blob)) { await Error(ctx, 404, "notFound", $"No such object: {gb}/{name}"); return; }
                // Without object versioning, only the live generation exists.
                if (long.TryParse(query["generation"], out var wanted) && wanted != blob.Generation) { await Error(ctx, 404, "notFound", $"No such object: {gb}/{name}#{wanted}"); return; }
                if (ctx.Request.Method == "DELETE")
                {
                    if (long.TryParse(query["ifGenerationMatch"], out var dm) && dm != blob.Generation) { await Error(ctx, 412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold."); return; }
                    _objects.TryRemove($"{gb}/{name}", out _);
                    ctx.Response.StatusCode = 204;
                    return;
                }
                if (query["alt"] == "media") { ctx.Response.ContentType = "application/octet-stream"; await ctx.Response.Body.WriteAsync(blob.Data); return; }
                await Json(ctx, 200, blob.Resource());
                return;
            }
            if (segments is ["bigquery", "v2", "projects", var project, ..]) { await BigQueryAsync(ctx, project, segments[4..], query, json); return; }
            if (segments is ["pubsub", "v1", "projects", _, "subscriptions", var sub]) { await PullSubscriptionAsync(ctx, sub, json); return; }
            await Error(ctx, 404, "notFound", $"The fake does not serve {ctx.Request.Method} {path}");
        }
        catch (Exception e)
        {
            await Error(ctx, 500, "internalError", $"fake failed: {e}");
        }
    }

    private bool TryDequeue(Fault wanted)
    {
        // Faults are consumed in order; only the first matching one is taken.
        var rest = new List<Fault>();
        var taken = false;
        while (_faults.TryDequeue(out var f))
        {
            if (!taken && ReferenceEquals(f, wanted)) { taken = true; continue; }
            rest.Add(f);
        }
        foreach (var f in rest) _faults.Enqueue(f);
        return taken;
    }

    // ---- Cloud Storage ----

    private async Task UploadAsync(HttpContext ctx, string bucket, IQueryCollection query, JsonNode? json, byte[] body)
    {
        if (query["uploadType"] != "resumable") { await Error(ctx, 400, "invalid", "only resumable uploads are played"); return; }
        if (ctx.Request.Method == "POST")
        {
            var resource = json?.AsObject() ?? [];
            var name = query["name"].FirstOrDefault() ?? resource["name"]?.GetValue<string>();
            if (name is null) { await Error(ctx, 400, "required", "object name missing"); return; }
            long? ifMatch = long.TryParse(query["ifGenerationMatch"], out var m) ? m : null;
            if (!GenerationMatches(bucket, name, ifMatch)) { await Error(ctx, 412, "conditionNotMet", "At least one of the pre-conditions you specified did not hold."); return; }
            var id = Guid.NewGuid().ToString("N");
            _sessions[id] = new MemoryStream();
            _sessionTargets[id] = (name, resource, ifMatch);
            ctx.Response.Headers.Location = $"{BaseUrl}/upload/storage/v1/b/{bucket}/o?uploadType=resumable&upload_id={id}";
            ctx.Response.StatusCode = 200;
            return;
        }
        var sessionId = query["upload_id"].ToString();
        if (!_sessions.TryGetValue(sessionId, out var data)) { await Error(ctx, 404, "notFound", "no such upload session"); return; }
        var range = ctx.Request.Headers.ContentRange.ToString(); // "bytes a-b/total", "bytes a-b/*" or "bytes */total"
        data.Write(body);
        var total = range[(range.IndexOf('/', StringComparison.Ordinal) + 1)..];
        if (total == "*")
        {
            ctx.Response.StatusCode = 308;
            ctx.Response.Headers["Range"] = $"bytes=0-{data.Length - 1}";
            return;
        }
        var (objName, res, ifGen) = _sessionTargets[sessionId];
        var metadata = res["metadata"] is JsonObject md ? md.ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>()) : [];
        Blob? blob = new Blob(bucket, objName, Interlocked.Increment(ref _generation), data.ToArray(), metadata);
        // The precondition is checked again when the object is finalized, atomically with the write.
        lock (_objects)
        {
            if (!GenerationMatches(bucket, objName, ifGen)) blob = null;
            else _objects[$"{bucket}/{objName}"] = blob;
        }
        if (blob is null) { await Error(ctx, 412, "conditionNotMet", "precondition failed at finalize"); return; }
        _sessions.TryRemove(sessionId, out _);
        await Json(ctx, 200, blob.Resource());
    }

    /// <summary><c>ifGenerationMatch</c>: 0 means "does not exist", N means "is at generation N".</summary>
    private bool GenerationMatches(string bucket, string name, long? ifMatch) =>
        ifMatch is not { } g || (_objects.TryGetValue($"{bucket}/{name}", out var current) ? current.Generation == g : g == 0);

    private async Task ListAsync(HttpContext ctx, string bucket, IQueryCollection query)
    {
        var prefix = query["prefix"].ToString();
        var items = new JsonArray();
        foreach (var o in _objects.Values.Where(o => o.Bucket == bucket && o.Name.StartsWith(prefix, StringComparison.Ordinal)).OrderBy(o => o.Name, StringComparer.Ordinal))
            items.Add(o.Resource());
        await Json(ctx, 200, new JsonObject { ["kind"] = "storage#objects", ["items"] = items });
    }

    // ---- Pub/Sub pull (subscriptions.pull / acknowledge) ----

    /// <summary>Pub/Sub REST base URL of the fake.</summary>
    public string PubSubEndpoint => $"{BaseUrl}/pubsub/v1/";

    private readonly ConcurrentDictionary<string, JsonObject> _deadLetters = new(StringComparer.Ordinal);

    /// <summary>Messages in the dead-letter subscription, not yet acknowledged, by ack id.</summary>
    public IReadOnlyDictionary<string, JsonObject> DeadLetters => _deadLetters;

    /// <summary>Puts a message (the push envelope's <c>message</c> object) into the dead-letter subscription.</summary>
    public void DeadLetter(JsonObject message) => _deadLetters[Guid.NewGuid().ToString("N")] = message;

    private async Task PullSubscriptionAsync(HttpContext ctx, string subscriptionAndVerb, JsonNode? json)
    {
        if (subscriptionAndVerb.EndsWith(":pull", StringComparison.Ordinal))
        {
            var max = json?["maxMessages"]?.GetValue<int>() ?? 1;
            var received = new JsonArray();
            foreach (var (ackId, message) in _deadLetters.Take(max))
                received.Add(new JsonObject { ["ackId"] = ackId, ["message"] = message.DeepClone(), ["deliveryAttempt"] = 1 });
            await Json(ctx, 200, new JsonObject { ["receivedMessages"] = received });
            return;
        }
        if (subscriptionAndVerb.EndsWith(":acknowledge", StringComparison.Ordinal))
        {
            foreach (var id in json?["ackIds"]?.AsArray() ?? []) _deadLetters.TryRemove(id!.GetValue<string>(), out _);
            await Json(ctx, 200, new JsonObject());
            return;
        }
        await Error(ctx, 404, "notFound", "unknown Pub/Sub route");
    }

    // ---- BigQuery ----

    private async Task BigQueryAsync(HttpContext ctx, string project, string[] rest, IQueryCollection query, JsonNode? json)
    {
        switch (ctx.Request.Method, rest)
        {
            case ("POST", ["jobs"]):
            {
                var job = json!.AsObject();
                var id = job["jobReference"]!["jobId"]!.GetValue<string>();
                if (Jobs.ContainsKey(id)) { await Error(ctx, 409, "duplicate", $"Already Exists: Job {project}:{id}"); return; }
                var stored = (JsonObject)job.DeepClone();
                if (FailNextLoadJobs > 0)
                {
                    FailNextLoadJobs--;
                    stored["status"] = new JsonObject { ["state"] = "DONE", ["errorResult"] = new JsonObject { ["reason"] = LoadJobFailureReason, ["message"] = "injected job failure" } };
                }
                else
                {
                    RunLoad(stored);
                    stored["status"] = new JsonObject { ["state"] = JobsStartRunning ? "RUNNING" : "DONE" };
                }
                Jobs[id] = stored;
                await Json(ctx, 200, stored.DeepClone());
                return;
            }
            case ("GET", ["jobs", var jobId]):
            {
                if (!Jobs.TryGetValue(jobId, out var job)) { await Error(ctx, 404, "notFound", $"Not found: Job {project}:{jobId}"); return; }
                if (job["status"]!["state"]!.GetValue<string>() == "RUNNING") job["status"]!["state"] = "DONE";
                await Json(ctx, 200, job.DeepClone());
                return;
            }
            case ("POST", ["jobs", var cancelId, "cancel"]):
            {
                await Json(ctx, 200, new JsonObject { ["kind"] = "bigquery#jobCancelResponse", ["job"] = new JsonObject { ["jobReference"] = new JsonObject { ["jobId"] = cancelId } } });
                return;
            }
            case ("POST", ["queries"]) when QueriesNeverComplete:
            case ("GET", ["queries", _]) when QueriesNeverComplete:
            {
                await Task.Delay(50, ctx.RequestAborted);
                await Json(ctx, 200, new JsonObject { ["jobReference"] = new JsonObject { ["projectId"] = project, ["jobId"] = "slow_query_1" }, ["jobComplete"] = false });
                return;
            }
            case ("POST", ["queries"]):
            {
                var id = $"query_{Interlocked.Increment(ref _queryJobs)}";
                var rows = Execute(json!.AsObject());
                _results[id] = rows;
                await Json(ctx, 200, Page(id, rows, null));
                return;
            }
            case ("GET", ["queries", var queryId]):
            {
                await Json(ctx, 200, Page(queryId, _results[queryId], query["pageToken"].FirstOrDefault()));
                return;
            }
            case ("GET", ["datasets", _, "tables", var got]):
            {
                var rows = Rows(got);
                int count;
                lock (rows) count = rows.Count;
                var modified = _tableModified.GetValueOrDefault(got, 1_600_000_000_000);
                await Json(ctx, 200, new JsonObject
                {
                    ["kind"] = "bigquery#table", ["tableReference"] = new JsonObject { ["tableId"] = got },
                    ["numRows"] = count.ToString(CultureInfo.InvariantCulture), ["lastModifiedTime"] = modified.ToString(CultureInfo.InvariantCulture),
                });
                return;
            }
            case ("POST", ["datasets", _, "tables", var table, "insertAll"]):
            {
                if (RejectNextInsertAll)
                {
                    RejectNextInsertAll = false;
                    await Json(ctx, 200, JsonNode.Parse("""{"kind":"bigquery#tableDataInsertAllResponse","insertErrors":[{"index":0,"errors":[{"reason":"invalid","message":"no such field: x"}]}]}""")!);
                    return;
                }
                var streamed = InsertedRows(table);
                var target = Rows(table);
                lock (target)
                    foreach (var r in json!["rows"]!.AsArray())
                        if (_insertIds.TryAdd($"{table}/{r!["insertId"]}", 0))
                        {
                            lock (streamed) streamed.Add(r["json"]!.AsObject().DeepClone().AsObject());
                            // Streamed rows are only documented to become visible "within a few seconds": with
                            // StreamedRowsVisible off they never do, which is what nothing may depend on.
                            if (StreamedRowsVisible) target.Add(r["json"]!.AsObject().DeepClone().AsObject());
                        }
                await Json(ctx, 200, new JsonObject { ["kind"] = "bigquery#tableDataInsertAllResponse" });
                return;
            }
        }
        await Error(ctx, 404, "notFound", "unknown BigQuery route");
    }

    private readonly ConcurrentDictionary<string, (JsonArray Fields, List<JsonArray> Rows)> _results = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, long> _tableModified = new(StringComparer.Ordinal);

    /// <summary>Sets a table's <c>lastModifiedTime</c> (ms since the epoch), as a load job that committed then would.</summary>
    public void TableModified(string table, long unixMs) => _tableModified[table] = unixMs;

    private void RunLoad(JsonObject job)
    {
        var load = job["configuration"]!["load"]!;
        var table = load["destinationTable"]!["tableId"]!.GetValue<string>();
        _tableModified[table] = Math.Max(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), _tableModified.GetValueOrDefault(table) + 1);
        var target = Rows(table);
        foreach (var uri in load["sourceUris"]!.AsArray())
        {
            var u = uri!.GetValue<string>()["gs://".Length..];
            var slash = u.IndexOf('/', StringComparison.Ordinal);
            var bytes = ObjectBytes(u[..slash], u[(slash + 1)..]) ?? throw new InvalidOperationException($"load source {uri} missing");
            var integers = load["schema"]?["fields"]?.AsArray().Where(f => f!["type"]!.GetValue<string>() is "INTEGER" or "INT64")
                .Select(f => f!["name"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal) ?? [];
            lock (target)
                foreach (var line in Encoding.UTF8.GetString(bytes).Split('\n', StringSplitOptions.RemoveEmptyEntries))
                {
                    var row = JsonNode.Parse(line)!.AsObject();
                    // BigQuery reads an INT64 given as a JSON string exactly
                    // (https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-json#limitations); the table holds the number.
                    foreach (var name in integers)
                        if (row[name] is JsonValue v && v.TryGetValue<string>(out var text)) row[name] = long.Parse(text, CultureInfo.InvariantCulture);
                    target.Add(row);
                }
        }
    }

    private JsonObject Page(string jobId, (JsonArray Fields, List<JsonArray> Rows) result, string? pageToken)
    {
        var start = pageToken is null ? 0 : int.Parse(pageToken, CultureInfo.InvariantCulture);
        var rows = new JsonArray();
        foreach (var r in result.Rows.Skip(start).Take(QueryPageSize)) rows.Add(new JsonObject { ["f"] = r.DeepClone() });
        var page = new JsonObject
        {
            ["kind"] = "bigquery#queryResponse",
            ["jobReference"] = new JsonObject { ["projectId"] = "p", ["jobId"] = jobId, ["location"] = "US" },
            ["jobComplete"] = true,
            ["schema"] = new JsonObject { ["fields"] = result.Fields.DeepClone() },
            ["totalRows"] = result.Rows.Count.ToString(CultureInfo.InvariantCulture),
            ["rows"] = rows,
        };
        if (start + QueryPageSize < result.Rows.Count) page["pageToken"] = (start + QueryPageSize).ToString(CultureInfo.InvariantCulture);
        return page;
    }

    /// <summary>Plays the query shapes Tarmac sends, keyed by their parameters.</summary>
    private (JsonArray Fields, List<JsonArray> Rows) Execute(JsonObject request)
    {
        var sql = request["query"]!.GetValue<string>();
        var ps = new Dictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var p in request["queryParameters"]?.AsArray() ?? []) ps[p!["name"]!.GetValue<string>()] = p["parameterValue"]!;
        if (sql == "SELECT 1") return (Fields(("f0_", "INTEGER")), [Cells("1")]);
        if (sql.Contains("UNIX_MICROS(MAX(at))", StringComparison.Ordinal))
        {
            // The dataset version: outcomes that added rows, and the latest of them.
            var dataset = ps["dataset"]["value"]!.GetValue<string>();
            List<JsonObject> events;
            var source = Rows("upload_events");
            lock (source) events = source.Where(e => e["dataset"]!.GetValue<string>() == dataset
                && e["status"]!.GetValue<string>() is "loaded" or "partially_loaded" && long.Parse(e["rows_loaded"]!.ToString(), CultureInfo.InvariantCulture) > 0).ToList();
            var max = events.Count == 0 ? null : events.Max(e => (DateTime.ParseExact(e["at"]!.GetValue<string>(), "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture).Ticks - DateTime.UnixEpoch.Ticks) / 10).ToString(CultureInfo.InvariantCulture);
            return (Fields(("f0_", "INTEGER"), ("f1_", "INTEGER")), [Cells(events.Count.ToString(CultureInfo.InvariantCulture), max)]);
        }
        if (QueryHandler?.Invoke(sql, ps) is { } answer) return answer;
        throw new InvalidOperationException($"The fake cannot run this query: {sql}");
    }

    /// <summary>Answers queries the fake does not play itself (return null to refuse): SQL and parameter values by name.</summary>
    public Func<string, IReadOnlyDictionary<string, JsonNode>, (JsonArray Fields, List<JsonArray> Rows)?>? QueryHandler { get; set; }

    /// <summary>A result for <see cref="QueryHandler"/>: STRING-typed fields and rows of text cells.</summary>
    public static (JsonArray Fields, List<JsonArray> Rows) Result(string[] names, params string?[][] rows) =>
        (Fields(names.Select(n => (n, "STRING")).ToArray()), rows.Select(r => Cells(r)).ToList());

    /// <summary>BigQuery's text of a loaded NDJSON value; timestamps as int64 microseconds (useInt64Timestamp).</summary>
    private static string? Cell(JsonNode? v)
    {
        if (v is null) return null;
        var s = v.ToString();
        return DateTime.TryParseExact(s, "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var t)
            ? ((t.Ticks - DateTime.UnixEpoch.Ticks) / 10).ToString(CultureInfo.InvariantCulture) : s;
    }

    private static JsonArray Fields(params (string Name, string Type)[] fields)
    {
        var a = new JsonArray();
        foreach (var (n, t) in fields) a.Add(new JsonObject { ["name"] = n, ["type"] = t });
        return a;
    }

    private static JsonArray Cells(params string?[] values)
    {
        var a = new JsonArray();
        foreach (var v in values) a.Add(new JsonObject { ["v"] = v });
        return a;
    }

    private static async Task<byte[]> ReadAllAsync(Stream s)
    {
        using var ms = new MemoryStream();
        await s.CopyToAsync(ms);
        return ms.ToArray();
    }

    private static Task Json(HttpContext ctx, int status, JsonNode body) => Text(ctx, status, body.ToJsonString(), "application/json; charset=UTF-8");

    private static async Task Text(HttpContext ctx, int status, string body, string type)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = type;
        await ctx.Response.WriteAsync(body);
    }

    private static Task Error(HttpContext ctx, int status, string reason, string message) =>
        Json(ctx, status, new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["code"] = status,
                ["message"] = message,
                ["errors"] = new JsonArray(new JsonObject { ["reason"] = reason, ["message"] = message, ["domain"] = "global" }),
                ["status"] = ((HttpStatusCode)status).ToString(),
            },
        });

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed record Fault(string Method, string PathContains, int Status, string Reason);

    private sealed record Blob(string Bucket, string Name, long Generation, byte[] Data, Dictionary<string, string> Metadata)
    {
        public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;

        public JsonObject Resource()
        {
            var md = new JsonObject();
            foreach (var (k, v) in Metadata) md[k] = v;
            return new JsonObject
            {
                ["kind"] = "storage#object",
                ["id"] = $"{Bucket}/{Name}/{Generation}",
                ["bucket"] = Bucket,
                ["name"] = Name,
                ["generation"] = Generation.ToString(CultureInfo.InvariantCulture),
                ["size"] = Data.Length.ToString(CultureInfo.InvariantCulture),
                ["timeCreated"] = Created.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["metadata"] = md,
            };
        }
    }
}

/// <summary>One request the fake received.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, byte[] Body, JsonNode? Json);
