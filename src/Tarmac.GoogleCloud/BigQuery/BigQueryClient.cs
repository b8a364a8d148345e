using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Polly;
using Polly.Retry;
using Tarmac.Core.Ports;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>
/// The slice of the BigQuery REST API (v2) Tarmac uses: load jobs, queries with named parameters and
/// page tokens, streaming inserts. 429, 5xx and rate-limit answers are retried with exponential backoff;
/// when they persist, <see cref="TransientFailureException"/> tells the caller to let the work be redelivered.
/// </summary>
public sealed partial class BigQueryClient
{
    private readonly HttpClient _http;
    private readonly GoogleCloudOptions _options;
    private readonly ResiliencePipeline _retry;

    /// <param name="http">Client whose base address is the REST root (…/bigquery/v2/), authenticated unless it is an emulator.</param>
    /// <param name="options">Project, dataset, location, query limits.</param>
    /// <param name="retryBaseDelay">First backoff delay; doubled (with jitter) on each of the 5 retries.</param>
    public BigQueryClient(HttpClient http, GoogleCloudOptions options, TimeSpan retryBaseDelay)
    {
        _http = http;
        _options = options;
        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder()
                    .Handle<BigQueryException>(e => e.IsTransient)
                    .Handle<HttpRequestException>()
                    .Handle<TaskCanceledException>(e => e.InnerException is TimeoutException),
                MaxRetryAttempts = 5,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = retryBaseDelay,
            })
            .Build();
    }

    /// <summary>The project jobs run in.</summary>
    public string Project => _options.Project!;

    /// <summary>The dataset of the tables.</summary>
    public string Dataset => _options.Dataset!;
    private string Location => Uri.EscapeDataString(_options.Location!);

    /// <summary>Fully qualified, quoted table name for SQL: <c>`project.dataset.table`</c>.</summary>
    public string TableRef(string table) => $"`{_options.Project}.{_options.Dataset}.{table}`";

    /// <summary>
    /// Runs a GoogleSQL query with named parameters (<c>jobs.query</c>), waiting up to the configured timeout,
    /// billing at most the configured bytes, and following page tokens (<c>jobs.getQueryResults</c>) until
    /// <paramref name="maxRows"/> rows are read or the results end.
    /// </summary>
    public async Task<QueryResult> QueryAsync(string sql, IReadOnlyList<BigQueryParameter> parameters, int maxRows, CancellationToken ct)
    {
        var rows = new List<JsonArray>();
        var fields = await QueryPagesAsync(sql, parameters, maxRows, (_, page) =>
        {
            rows.AddRange(page);
            return ValueTask.CompletedTask;
        }, ct);
        return new QueryResult(fields, rows);
    }

    /// <summary>
    /// Like <see cref="QueryAsync"/>, but hands each page to <paramref name="onPage"/> as it arrives (called at least once,
    /// when the query has completed, even with no rows), so a result streams without being held. Cancelling
    /// <paramref name="ct"/> cancels the BigQuery job too (<c>jobs.cancel</c>), and <c>jobTimeoutMs</c> bounds it in any case.
    /// </summary>
    /// <returns>The result's fields (name, type).</returns>
    public async Task<IReadOnlyList<(string Name, string Type)>> QueryPagesAsync(string sql, IReadOnlyList<BigQueryParameter> parameters, int maxRows,
        Func<IReadOnlyList<(string Name, string Type)>, IReadOnlyList<JsonArray>, ValueTask> onPage, CancellationToken ct)
    {
        var ps = new JsonArray();
        foreach (var p in parameters) ps.Add(p.ToJson());
        var body = new JsonObject
        {
            ["query"] = sql,
            ["useLegacySql"] = false,
            ["parameterMode"] = "NAMED",
            ["queryParameters"] = ps,
            ["timeoutMs"] = _options.QueryTimeoutMs,
            ["jobTimeoutMs"] = _options.QueryTimeoutMs.ToString(CultureInfo.InvariantCulture),
            ["maximumBytesBilled"] = _options.MaxBytesBilled.ToString(CultureInfo.InvariantCulture),
            ["location"] = _options.Location,
            ["maxResults"] = maxRows,
            ["formatOptions"] = new JsonObject { ["useInt64Timestamp"] = true },
        };
        string? jobId = null;
        try
        {
            var page = (JsonObject)(await SendAsync(HttpMethod.Post, $"projects/{Project}/queries", body, ct))!;
            jobId = page["jobReference"]?["jobId"]?.GetValue<string>();
            var deadline = DateTimeOffset.UtcNow.AddMilliseconds(_options.QueryTimeoutMs);
            while (page["jobComplete"]?.GetValue<bool>() == false)
            {
                if (DateTimeOffset.UtcNow > deadline || jobId is null)
                    throw new TransientFailureException($"The query did not finish within {_options.QueryTimeoutMs} ms.");
                page = await GetQueryResultsAsync(jobId, null, maxRows, ct);
            }

            var fields = ReadFields(page);
            var read = 0;
            while (true)
            {
                var rows = new List<JsonArray>();
                if (page["rows"] is JsonArray pageRows)
                    foreach (var r in pageRows)
                    {
                        if (read >= maxRows) break;
                        rows.Add((JsonArray)r!["f"]!);
                        read++;
                    }
                await onPage(fields, rows);
                var token = page["pageToken"]?.GetValue<string>();
                if (token is null || read >= maxRows || jobId is null) break;
                page = await GetQueryResultsAsync(jobId, token, maxRows - read, ct);
            }
            return fields;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && jobId is not null)
        {
            _ = CancelJobAsync(jobId);
            throw;
        }
    }

    /// <summary><c>jobs.cancel</c>, best effort: a query nobody waits for should stop costing.</summary>
    private async Task CancelJobAsync(string jobId)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            using var request = new HttpRequestMessage(HttpMethod.Post, $"projects/{Project}/jobs/{Uri.EscapeDataString(jobId)}/cancel?location={Location}");
            using var _ = await _http.SendAsync(request, cts.Token);
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException)
        {
            // The job ends by itself at jobTimeoutMs.
        }
    }

    private async Task<JsonObject> GetQueryResultsAsync(string jobId, string? pageToken, int maxResults, CancellationToken ct)
    {
        var url = $"projects/{Project}/queries/{Uri.EscapeDataString(jobId)}?location={Location}&timeoutMs={_options.QueryTimeoutMs}"
            + $"&maxResults={maxResults}&formatOptions.useInt64Timestamp=true"
            + (pageToken is null ? "" : $"&pageToken={Uri.EscapeDataString(pageToken)}");
        return (JsonObject)(await SendAsync(HttpMethod.Get, url, null, ct))!;
    }

    private static List<(string Name, string Type)> ReadFields(JsonObject page)
    {
        var fields = new List<(string, string)>();
        if (page["schema"]?["fields"] is JsonArray fs)
            foreach (var f in fs) fields.Add((f!["name"]!.GetValue<string>(), f["type"]!.GetValue<string>()));
        return fields;
    }

    /// <summary>
    /// <c>tabledata.insertAll</c> with one <c>insertId</c> per row, so a retried call does not duplicate rows.
    /// Any row error fails the call (no partial inserts are accepted silently).
    /// </summary>
    public async Task InsertAllAsync(string table, IReadOnlyList<(string InsertId, JsonObject Row)> rows, CancellationToken ct)
    {
        var list = new JsonArray();
        foreach (var (id, row) in rows) list.Add(new JsonObject { ["insertId"] = id, ["json"] = row });
        var body = new JsonObject { ["rows"] = list, ["skipInvalidRows"] = false, ["ignoreUnknownValues"] = false };
        var answer = await SendAsync(HttpMethod.Post, $"projects/{Project}/datasets/{_options.Dataset}/tables/{table}/insertAll", body, ct);
        if (answer?["insertErrors"] is JsonArray { Count: > 0 } errors)
        {
            var first = errors[0]?["errors"]?[0];
            var reason = first?["reason"]?.GetValue<string>();
            throw new BigQueryException($"insertAll into {table} refused {errors.Count} row(s): {reason}: {first?["message"]}", null, reason);
        }
    }

    /// <summary>Sends one request with retries; non-2xx answers become <see cref="BigQueryException"/>.</summary>
    private async Task<JsonNode?> SendAsync(HttpMethod method, string path, JsonNode? body, CancellationToken ct)
    {
        try
        {
            return await _retry.ExecuteAsync(async token =>
            {
                using var request = new HttpRequestMessage(method, path);
                if (body is not null) request.Content = JsonContent.Create(body);
                using var response = await _http.SendAsync(request, token);
                if (response.IsSuccessStatusCode)
                    return response.Content.Headers.ContentLength == 0 ? null : await response.Content.ReadFromJsonAsync<JsonNode>(token);
                throw await ErrorFromAsync(response, token);
            }, ct);
        }
        catch (BigQueryException e) when (e.IsTransient)
        {
            throw new TransientFailureException($"BigQuery is unavailable after retries: {e.Message}", e);
        }
        catch (HttpRequestException e)
        {
            throw new TransientFailureException($"BigQuery could not be reached after retries: {e.Message}", e);
        }
        catch (ExecutionRejectedException e)
        {
            // The HTTP pipeline's circuit breaker, timeout or concurrency limit refused the call: BigQuery is struggling.
            throw new TransientFailureException($"BigQuery calls are being refused for now: {e.Message}", e);
        }
    }

    private static async Task<BigQueryException> ErrorFromAsync(HttpResponseMessage response, CancellationToken ct)
    {
        string? reason = null, message = null;
        try
        {
            var doc = await response.Content.ReadFromJsonAsync<JsonNode>(ct);
            message = doc?["error"]?["message"]?.GetValue<string>();
            reason = doc?["error"]?["errors"]?[0]?["reason"]?.GetValue<string>() ?? doc?["error"]?["status"]?.GetValue<string>();
        }
        catch (JsonException) { }
        catch (NotSupportedException) { }
        return new BigQueryException($"BigQuery answered HTTP {(int)response.StatusCode} ({reason}): {message}", response.StatusCode, reason);
    }
}
