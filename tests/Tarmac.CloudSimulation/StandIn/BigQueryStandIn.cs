using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using DuckDB.NET.Data;

namespace Tarmac.CloudSimulation.StandIn;

/// <summary>
/// BigQuery REST v2 as Tarmac's <c>BigQueryClient</c> calls it, over <see cref="DuckDbEngine"/>:
/// <list type="bullet">
/// <item><c>jobs.insert</c>: a job id that exists answers 409 <c>duplicate</c> ("This error returns when trying to create a job,
/// dataset, or table that already exists", https://cloud.google.com/bigquery/docs/error-messages). A load job answers RUNNING,
/// runs for <see cref="LoadJobDuration"/>, then is DONE; it either loads every row of its NDJSON sources (read from the
/// stand-in's Cloud Storage, typed by the job's schema) or, with more bad records than <c>maxBadRecords</c>, a missing source or
/// table, ends with <c>status.errorResult</c> and loads nothing. <c>maxBadRecords</c>: "If the number of bad records exceeds this
/// value, an invalid error is returned in the job result. The default value is 0, which requires that all records are valid"
/// (JobConfigurationLoad, https://cloud.google.com/bigquery/docs/reference/rest/v2/Job); a failed job leaves the table as it
/// was, so the stand-in commits a job's rows in one transaction or not at all.</item>
/// <item><c>jobs.get</c>, <c>jobs.cancel</c>.</item>
/// <item><c>tabledata.insertAll</c>: rows deduplicated by <c>insertId</c>, and visible to queries only after
/// <see cref="StreamingDelay"/>: "Streamed data is available for real-time analysis within a few seconds of the first
/// streaming insertion into a table" (https://cloud.google.com/bigquery/docs/streaming-data-into-bigquery).</item>
/// <item><c>jobs.query</c> / <c>jobs.getQueryResults</c>: the SQL is executed (see <see cref="DuckDbEngine"/>), paged by
/// <c>maxResults</c> and <c>pageToken</c>; the first <see cref="QueryPollsBeforeComplete"/> answers say <c>jobComplete: false</c>.</item>
/// </list>
/// </summary>
public sealed partial class BigQueryStandIn : IDisposable
{
    private readonly CloudStandIn _host;
    private readonly DuckDbEngine _engine;
    private readonly ConcurrentDictionary<string, List<BqField>> _tables = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, JsonObject> _jobs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, QueryResult> _results = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _insertIds = new(StringComparer.Ordinal);
    private readonly List<(string Table, DateTimeOffset VisibleAt, object?[] Row)> _streamingBuffer = [];
    private readonly Lock _bufferLock = new();
    private int _queryJobs;
    private int _failLoads;
    private string _failLoadReason = "backendError";

    internal BigQueryStandIn(CloudStandIn host)
    {
        _host = host;
        _engine = new DuckDbEngine(host.Project, host.DatasetId);
    }

    /// <summary>How long streamed rows stay invisible to queries (default: a realistic 3 s; 0 for none).</summary>
    public TimeSpan StreamingDelay { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How long a load job runs before it is DONE.</summary>
    public TimeSpan LoadJobDuration { get; set; } = TimeSpan.FromMilliseconds(30);

    /// <summary>Queries answer <c>jobComplete: false</c> this many times before their results.</summary>
    public int QueryPollsBeforeComplete { get; set; }

    /// <summary>Rows per results page when the request names no <c>maxResults</c>.</summary>
    public int DefaultPageRows { get; set; } = 1000;

    /// <summary>INT64 values read from JSON numbers outside ±2^53 (corrupted as BigQuery documents).</summary>
    public int PrecisionLosses => _precisionLosses;
    private int _precisionLosses;

    /// <summary>Jobs by id, as jobs.get would answer them.</summary>
    public IReadOnlyDictionary<string, JsonObject> Jobs => _jobs;

    /// <summary>The SQL text of every query received, in order.</summary>
    public ConcurrentQueue<string> QueriesReceived { get; } = new();

    public IEnumerable<JsonObject> LoadJobs => _jobs.Values.Where(j => j["configuration"]?["load"] is not null);

    public void CreateTable(string table, IReadOnlyList<BqField> fields)
    {
        _engine.CreateTable(table, fields);
        _tables[table] = fields.ToList();
        _modified[table] = DateTimeOffset.UtcNow;
    }

    private readonly ConcurrentDictionary<string, DateTimeOffset> _modified = new(StringComparer.Ordinal);

    /// <summary>
    /// <c>tables.get</c>: <c>numRows</c> counts committed rows only (streamed rows still in the buffer are reported under
    /// <c>streamingBuffer.estimatedRows</c>), and <c>lastModifiedTime</c> (ms) moves when a load job commits rows
    /// (https://cloud.google.com/bigquery/docs/reference/rest/v2/tables).
    /// </summary>
    private async Task GetTableAsync(StandInRequest r, string dataset, string table)
    {
        if (dataset != _host.DatasetId || !_tables.TryGetValue(table, out var fields)) { await Problem.Write(r.Context, 404, "notFound", $"Not found: Table {_host.Project}:{dataset}.{table}"); return; }
        MaterializeStreamed();
        var rows = _engine.Query($"SELECT COUNT(*) FROM `{_host.Project}.{_host.DatasetId}.{table}`", null).Rows[0][0]!["v"]!.GetValue<string>();
        var schema = new JsonArray(fields.Select(f => (JsonNode)new JsonObject { ["name"] = f.Name, ["type"] = f.Type, ["mode"] = f.Mode }).ToArray());
        var answer = new JsonObject
        {
            ["kind"] = "bigquery#table",
            ["id"] = $"{_host.Project}:{dataset}.{table}",
            ["tableReference"] = new JsonObject { ["projectId"] = _host.Project, ["datasetId"] = dataset, ["tableId"] = table },
            ["schema"] = new JsonObject { ["fields"] = schema },
            ["numRows"] = rows,
            ["lastModifiedTime"] = Millis(_modified[table]),
            ["type"] = "TABLE",
            ["location"] = "US",
        };
        var buffered = BufferedRows(table);
        if (buffered > 0) answer["streamingBuffer"] = new JsonObject { ["estimatedRows"] = buffered.ToString(CultureInfo.InvariantCulture) };
        await Problem.Json(r.Context, 200, answer);
    }

    /// <summary>The next <paramref name="count"/> load jobs end DONE with <c>errorResult</c> of <paramref name="reason"/> and load nothing.</summary>
    public void FailNextLoadJobs(int count, string reason = "backendError")
    {
        _failLoadReason = reason;
        Interlocked.Exchange(ref _failLoads, count);
    }

    /// <summary>Runs GoogleSQL directly (tests), after moving streamed rows whose delay has passed into their tables.</summary>
    public List<JsonArray> Query(string sql, JsonArray? parameters = null)
    {
        MaterializeStreamed();
        return _engine.Query(sql, parameters).Rows;
    }

    /// <summary>Rows still in the streaming buffer (inserted, not yet visible).</summary>
    public int BufferedRows(string table)
    {
        lock (_bufferLock) return _streamingBuffer.Count(b => b.Table == table);
    }

    internal Task ServeAsync(string route, StandInRequest r) => (route, r.Segments) switch
    {
        ("bigquery.jobs.insert", [.., var project, _]) => InsertJobAsync(r, project),
        ("bigquery.jobs.get", [.., var id]) => GetJobAsync(r, id),
        ("bigquery.jobs.cancel", [.., var id, _]) => Problem.Json(r.Context, 200, new JsonObject { ["kind"] = "bigquery#jobCancelResponse", ["job"] = _jobs.GetValueOrDefault(id)?.DeepClone() }),
        ("bigquery.query", _) => QueryAsync(r),
        ("bigquery.getQueryResults", [.., var id]) => ResultsAsync(r, id),
        ("bigquery.insertAll", [.., var dataset, _, var table, _]) => InsertAllAsync(r, dataset, table),
        ("bigquery.tables.get", [.., var dataset, _, var table]) => GetTableAsync(r, dataset, table),
        _ => Problem.Write(r.Context, 501, "notImplemented", $"The BigQuery stand-in does not serve {route}."),
    };

    private async Task InsertJobAsync(StandInRequest r, string project)
    {
        var job = r.Json?.AsObject() ?? [];
        var id = job["jobReference"]?["jobId"]?.GetValue<string>() ?? $"job_{Guid.NewGuid():N}";
        var load = job["configuration"]?["load"];
        if (load is null) { await Problem.Write(r.Context, 400, "invalid", "The stand-in runs load jobs; send queries with jobs.query."); return; }
        var stored = (JsonObject)job.DeepClone();
        stored["kind"] = "bigquery#job";
        stored["id"] = $"{project}:{job["jobReference"]?["location"]?.GetValue<string>() ?? "US"}.{id}";
        stored["jobReference"] = new JsonObject { ["projectId"] = project, ["jobId"] = id, ["location"] = job["jobReference"]?["location"]?.DeepClone() ?? "US" };
        stored["status"] = new JsonObject { ["state"] = "RUNNING" };
        stored["statistics"] = new JsonObject { ["creationTime"] = Millis(DateTimeOffset.UtcNow), ["startTime"] = Millis(DateTimeOffset.UtcNow) };
        if (!_jobs.TryAdd(id, stored))
        {
            await Problem.Write(r.Context, 409, "duplicate", $"Already Exists: Job {project}:US.{id}");
            return;
        }
        string answer;
        lock (stored) answer = stored.ToJsonString();
        var failure = Interlocked.Decrement(ref _failLoads) >= 0 ? _failLoadReason : null;
        _ = Task.Run(async () =>
        {
            await Task.Delay(LoadJobDuration);
            RunLoad(stored, load, failure);
        });
        await Problem.Json(r.Context, 200, JsonNode.Parse(answer)!);
    }

    private async Task GetJobAsync(StandInRequest r, string id)
    {
        if (!_jobs.TryGetValue(id, out var job)) { await Problem.Write(r.Context, 404, "notFound", $"Not found: Job {_host.Project}:{id}"); return; }
        string answer;
        lock (job) answer = job.ToJsonString();
        await Problem.Json(r.Context, 200, JsonNode.Parse(answer)!);
    }

    private async Task QueryAsync(StandInRequest r)
    {
        var request = r.Json!.AsObject();
        var sql = request["query"]!.GetValue<string>();
        QueriesReceived.Enqueue(sql);
        if (request["useLegacySql"]?.GetValue<bool>() != false) { await Problem.Write(r.Context, 400, "invalidQuery", "The stand-in runs GoogleSQL only (useLegacySql: false)."); return; }
        MaterializeStreamed();
        (JsonArray Fields, List<JsonArray> Rows) result;
        try
        {
            result = _engine.Query(sql, request["queryParameters"]?.AsArray(), request["formatOptions"]?["useInt64Timestamp"]?.GetValue<bool>() ?? false);
        }
        catch (StandInQueryException e) { await Problem.Write(r.Context, e.Status, e.Reason, e.Message); return; }
        catch (DuckDBException e) { await Problem.Write(r.Context, 400, "invalidQuery", e.Message); return; }
        var id = $"sim_query_{Interlocked.Increment(ref _queryJobs)}";
        var state = new QueryResult(result.Fields, result.Rows) { PollsLeft = QueryPollsBeforeComplete };
        _results[id] = state;
        await Problem.Json(r.Context, 200, Page(id, state, null, request["maxResults"]?.GetValue<int>()));
    }

    private async Task ResultsAsync(StandInRequest r, string id)
    {
        if (!_results.TryGetValue(id, out var state)) { await Problem.Write(r.Context, 404, "notFound", $"Not found: Job {_host.Project}:{id}"); return; }
        await Problem.Json(r.Context, 200, Page(id, state, r.Query["pageToken"].FirstOrDefault(), int.TryParse(r.Query["maxResults"], out var m) ? m : null));
    }

    private JsonObject Page(string id, QueryResult state, string? pageToken, int? maxResults)
    {
        var reference = new JsonObject { ["projectId"] = _host.Project, ["jobId"] = id, ["location"] = "US" };
        if (Interlocked.Decrement(ref state.PollsLeft) >= 0)
            return new JsonObject { ["kind"] = "bigquery#getQueryResultsResponse", ["jobReference"] = reference, ["jobComplete"] = false };
        var size = Math.Max(1, Math.Min(maxResults ?? DefaultPageRows, DefaultPageRows));
        var start = pageToken is null ? 0 : int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(pageToken)), CultureInfo.InvariantCulture);
        var rows = new JsonArray();
        foreach (var row in state.Rows.Skip(start).Take(size)) rows.Add(new JsonObject { ["f"] = row.DeepClone() });
        var page = new JsonObject
        {
            ["kind"] = "bigquery#queryResponse",
            ["jobReference"] = reference,
            ["jobComplete"] = true,
            ["schema"] = new JsonObject { ["fields"] = state.Fields.DeepClone() },
            ["totalRows"] = state.Rows.Count.ToString(CultureInfo.InvariantCulture),
            ["rows"] = rows,
        };
        if (start + size < state.Rows.Count) page["pageToken"] = Convert.ToBase64String(Encoding.UTF8.GetBytes((start + size).ToString(CultureInfo.InvariantCulture)));
        return page;
    }

    private async Task InsertAllAsync(StandInRequest r, string dataset, string table)
    {
        if (dataset != _host.DatasetId || !_tables.TryGetValue(table, out var schema)) { await Problem.Write(r.Context, 404, "notFound", $"Not found: Table {_host.Project}:{dataset}.{table}"); return; }
        var rows = r.Json?["rows"]?.AsArray() ?? [];
        var read = new List<(string? InsertId, object?[] Values)>();
        var insertErrors = new JsonArray();
        for (var i = 0; i < rows.Count; i++)
        {
            var errors = new List<string>();
            var losses = 0;
            var values = BigQueryValues.ReadRow(rows[i]!["json"]!.AsObject(), schema, errors, ref losses);
            Interlocked.Add(ref _precisionLosses, losses);
            if (errors.Count > 0)
                insertErrors.Add(new JsonObject { ["index"] = i, ["errors"] = new JsonArray(errors.Select(e => (JsonNode)Error("invalid", e)).ToArray()) });
            read.Add((rows[i]!["insertId"]?.GetValue<string>(), values));
        }
        if (insertErrors.Count > 0)
        {
            // With skipInvalidRows false, one bad row stops the whole request: the other rows report "stopped".
            for (var i = 0; i < rows.Count; i++)
                if (!insertErrors.Any(e => e!["index"]!.GetValue<int>() == i))
                    insertErrors.Add(new JsonObject { ["index"] = i, ["errors"] = new JsonArray(Error("stopped", "")) });
            await Problem.Json(r.Context, 200, new JsonObject { ["kind"] = "bigquery#tableDataInsertAllResponse", ["insertErrors"] = insertErrors });
            return;
        }
        var visibleAt = DateTimeOffset.UtcNow + StreamingDelay;
        lock (_bufferLock)
            foreach (var (insertId, values) in read)
                if (insertId is null || _insertIds.TryAdd($"{table}/{insertId}", 0))
                    _streamingBuffer.Add((table, visibleAt, values));
        await Problem.Json(r.Context, 200, new JsonObject { ["kind"] = "bigquery#tableDataInsertAllResponse" });
    }

    private void MaterializeStreamed()
    {
        List<(string Table, DateTimeOffset VisibleAt, object?[] Row)> due;
        var now = DateTimeOffset.UtcNow;
        lock (_bufferLock)
        {
            due = _streamingBuffer.Where(b => b.VisibleAt <= now).ToList();
            _streamingBuffer.RemoveAll(b => b.VisibleAt <= now);
            foreach (var group in due.GroupBy(d => d.Table))
                _engine.Insert(group.Key, _tables[group.Key], group.Select(g => g.Row).ToList());
        }
    }

    private static JsonObject Error(string reason, string message) => new() { ["reason"] = reason, ["message"] = message };

    private static string Millis(DateTimeOffset t) => t.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);

    public void Dispose() => _engine.Dispose();

    private sealed class QueryResult(JsonArray fields, List<JsonArray> rows)
    {
        public JsonArray Fields { get; } = fields;
        public List<JsonArray> Rows { get; } = rows;
        public int PollsLeft;
    }
}
