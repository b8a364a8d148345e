using System.Buffers.Text;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Query;
using Tarmac.ServiceDefaults;

namespace Tarmac.Query;

/// <summary>
/// Runs the query endpoints: parse and check the request against the schema, answer 304 when the client's copy is
/// current, then stream the result under the query time limit.
/// </summary>
public sealed partial class QueryService(SchemaCatalog catalog, IWarehouseReader reader, TarmacOptions options, ILogger<QueryService> log)
{
    private const int RetryAfterSeconds = 10;

    /// <summary>GET rows of <paramref name="datasetName"/>.</summary>
    public async Task<IResult> RowsAsync(HttpContext http, string datasetName)
    {
        if (!catalog.TryGet(datasetName, out var dataset)) return Problems.UnknownDataset(datasetName, catalog.NameList);
        RowsRequest request;
        KeysetPosition? after = null;
        DateTimeOffset? cursorSnapshot = null;
        try
        {
            request = QueryGrammar.ParseRows(dataset, Pairs(http.Request.Query), Negotiate(http.Request.Headers.Accept));
            if (request.Cursor is not null) (cursorSnapshot, after) = Cursor.Decode(request, request.Cursor);
        }
        catch (BadQueryParameterException e)
        {
            return BadParameter(e);
        }

        return await TimedAsync(http, async (ct, startResponse) =>
        {
            var version = await reader.GetVersionAsync(dataset, ct);
            // Every page of a walk sees the data as it was on the first page: later loads cannot shift or repeat rows.
            var snapshot = request.Cursor is null ? version.LastLoadedAt : cursorSnapshot;
            if (NotModified(http, version, request.Representation)) return TypedResults.StatusCode(StatusCodes.Status304NotModified);

            var query = request.ToQuery(dataset, after, snapshot);
            if (request.Count) http.Response.Headers["X-Total-Count"] = (await reader.CountAsync(query, ct)).ToString(CultureInfo.InvariantCulture);
            void LinkNext(KeysetPosition end) =>
                http.Response.Headers.Link = $"<{NextPageUrl(http.Request, Cursor.Encode(request, snapshot, end))}>; rel=\"next\"";

            using var writer = ResponseRowWriter.For(request.Format, http.Response.BodyWriter, startResponse);
            http.Response.ContentType = writer.ContentType;
            if (query.Limit <= Math.Min(options.BufferedPageRows, RowsPage.MaxRows))
            {
                var page = await reader.ReadPageAsync(query, ct);
                if (page.Next is { } end) LinkNext(end);
                await page.WriteToAsync(writer, ct);
            }
            else
            {
                await reader.ExportRowsAsync(query, LinkNext, writer, ct);
            }
            await writer.CompleteAsync(ct);
            return Results.Empty;
        });
    }

    /// <summary>GET stats of <paramref name="datasetName"/>.</summary>
    public async Task<IResult> StatsAsync(HttpContext http, string datasetName)
    {
        if (!catalog.TryGet(datasetName, out var dataset)) return Problems.UnknownDataset(datasetName, catalog.NameList);
        StatsRequest request;
        try
        {
            request = QueryGrammar.ParseStats(dataset, Pairs(http.Request.Query));
        }
        catch (BadQueryParameterException e)
        {
            return BadParameter(e);
        }

        return await TimedAsync(http, async (ct, startResponse) =>
        {
            var version = await reader.GetVersionAsync(dataset, ct);
            if (NotModified(http, version, request.Normalized)) return TypedResults.StatusCode(StatusCodes.Status304NotModified);
            using var writer = ResponseRowWriter.For(RowFormat.Json, http.Response.BodyWriter, startResponse);
            http.Response.ContentType = writer.ContentType;
            await reader.QueryStatsAsync(request.ToQuery(dataset, version.LastLoadedAt), writer, ct);
            await writer.CompleteAsync(ct);
            return Results.Empty;
        });
    }

    /// <summary>Describes one dataset, or all of them when <paramref name="name"/> is null.</summary>
    public async Task<(IReadOnlyList<DatasetView>? Views, ProblemHttpResult? Problem)> DescribeAsync(HttpContext http, string? name)
    {
        DatasetSchema[] datasets;
        if (name is null) datasets = catalog.Datasets.OrderBy(d => d.Name, StringComparer.Ordinal).ToArray();
        else if (catalog.TryGet(name, out var one)) datasets = [one];
        else return (null, Problems.UnknownDataset(name, catalog.NameList));

        var views = new List<DatasetView>();
        ProblemHttpResult? problem = null;
        await TimedAsync(http, async (ct, _) =>
        {
            foreach (var ds in datasets)
            {
                var version = await reader.GetVersionAsync(ds, ct);
                var rows = await reader.CountAsync(RowsQuery.All(ds, version.LastLoadedAt), ct);
                views.Add(new DatasetView(ds.Name,
                    ds.Columns.Select(c => new ColumnView(c.Name, c.Type.BigQueryName(), c.Required ? "REQUIRED" : "NULLABLE", c.Description)).ToList(),
                    rows, version.LastLoadedAt, version.Version));
            }
            return Results.Empty;
        }, p => problem = p);
        return problem is null ? (views, null) : (null, problem);
    }

    /// <summary>
    /// Runs warehouse work under the query time limit. The limit covers everything up to the first byte of the
    /// response (so it can still be answered 503); once rows stream, only the client going away stops them.
    /// </summary>
    private async Task<IResult> TimedAsync(HttpContext http, Func<CancellationToken, Action, Task<IResult>> work, Action<ProblemHttpResult>? onTimeout = null)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
        var timeout = TimeSpan.FromMilliseconds(options.QueryTimeoutMs);
        limit.CancelAfter(timeout);
        var started = Stopwatch.GetTimestamp();
        void StartResponse()
        {
            // The timer's callback can run late on a busy thread pool: the clock, not the callback, decides whether the
            // limit passed before the first byte.
            if (Stopwatch.GetElapsedTime(started) > timeout) limit.Cancel();
            limit.Token.ThrowIfCancellationRequested();
            limit.CancelAfter(Timeout.Infinite);
        }
        try
        {
            // The writer calls StartResponse when the first row (or the end of an empty result) is there.
            return await work(limit.Token, StartResponse);
        }
        catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
        {
            LogTimedOut(log, http.Request.Path.Value, options.QueryTimeoutMs);
            if (http.Response.HasStarted)
            {
                http.Abort(); // a truncated body must not look complete
                return Results.Empty;
            }
            http.Response.Headers.Remove("Link");
            http.Response.Headers.Remove("X-Total-Count");
            http.Response.Headers.ETag = StringValues.Empty;
            http.Response.Headers.LastModified = StringValues.Empty;
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString(CultureInfo.InvariantCulture);
            var problem = Problems.Create(StatusCodes.Status503ServiceUnavailable, "Query took too long",
                $"The query ran longer than the {options.QueryTimeoutMs:N0} ms limit and was stopped. Narrow it (more selective filters, fewer fields, a smaller limit) or retry later.");
            onTimeout?.Invoke(problem);
            return problem;
        }
    }

    private static bool NotModified(HttpContext http, DatasetVersion version, string representation)
    {
        var etag = new EntityTagHeaderValue(ETag(version.Version, representation));
        http.Response.Headers.ETag = etag.ToString();
        http.Response.Headers.CacheControl = "no-cache"; // cache, but ask again: a load may land any time
        if (version.LastLoadedAt is { } at) http.Response.Headers.LastModified = HeaderUtilities.FormatDate(at);

        var ifNoneMatch = http.Request.Headers.IfNoneMatch;
        if (ifNoneMatch.Count > 0)
            return EntityTagHeaderValue.TryParseList(ifNoneMatch, out var tags) && tags.Any(t => t.Equals(EntityTagHeaderValue.Any) || t.Compare(etag, useStrongComparison: true));
        return version.LastLoadedAt is { } last
            && HeaderUtilities.TryParseDate(http.Request.Headers.IfModifiedSince.ToString(), out var since)
            && last.UtcDateTime.AddTicks(-(last.UtcTicks % TimeSpan.TicksPerSecond)) <= since;
    }

    /// <summary>A strong ETag: the dataset's data version and everything that selects the response's bytes.</summary>
    internal static string ETag(long version, string representation)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{version.ToString(CultureInfo.InvariantCulture)}\n{representation}"));
        return "\"" + version.ToString(CultureInfo.InvariantCulture) + "-" + Base64Url.EncodeToString(hash.AsSpan(0, 12)) + "\"";
    }

    /// <summary>The same request with the cursor of the next page, as a reference relative to the host (RFC 8288 allows it).</summary>
    private static string NextPageUrl(HttpRequest request, string cursor)
    {
        var query = new List<KeyValuePair<string, string?>>();
        foreach (var (k, values) in request.Query)
        {
            if (k == "cursor") continue;
            foreach (var v in values) query.Add(new(k, v));
        }
        query.Add(new("cursor", cursor));
        return QueryHelpers.AddQueryString(request.PathBase + request.Path, query);
    }

    private static IEnumerable<KeyValuePair<string, string>> Pairs(IQueryCollection query)
    {
        foreach (var (k, values) in query)
            foreach (var v in values) yield return new(k, v ?? "");
    }

    private static RowFormat Negotiate(StringValues accept)
    {
        if (accept.Count == 0 || !MediaTypeHeaderValue.TryParseList(accept, out var types)) return RowFormat.Json;
        foreach (var t in types.OrderByDescending(t => t.Quality ?? 1.0))
        {
            var m = t.MediaType.Value;
            if (string.Equals(m, "application/x-ndjson", StringComparison.OrdinalIgnoreCase)) return RowFormat.Ndjson;
            if (string.Equals(m, "text/csv", StringComparison.OrdinalIgnoreCase)) return RowFormat.Csv;
            if (string.Equals(m, "application/json", StringComparison.OrdinalIgnoreCase) || m is "*/*" or "application/*") return RowFormat.Json;
        }
        return RowFormat.Json;
    }

    private static ProblemHttpResult BadParameter(BadQueryParameterException e) => Problems.BadParameter(e.Parameter, e.Message, e.Allowed);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Query on {path} cancelled after the {timeout_ms} ms limit")]
    private static partial void LogTimedOut(ILogger logger, string? path, int timeout_ms);
}
