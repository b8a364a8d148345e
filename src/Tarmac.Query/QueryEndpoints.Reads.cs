using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Query;
using Tarmac.Query.Http;
using Tarmac.ServiceDefaults;
using Tarmac.ServiceDefaults.Access;

namespace Tarmac.Query;

public static partial class QueryEndpoints
{
    private static Task<IResult> GetFlights(HttpContext http, SchemaCatalog catalog, IWarehouseReader reader, QueryDeadline deadline, TarmacOptions options, CursorKey cursorKey) =>
        RowsAsync(DefaultDataset, http, catalog, reader, deadline, options, cursorKey);

    private static Task<IResult> GetDatasetRows(string name, HttpContext http, SchemaCatalog catalog, IWarehouseReader reader, QueryDeadline deadline, TarmacOptions options, CursorKey cursorKey) =>
        RowsAsync(name, http, catalog, reader, deadline, options, cursorKey);

    private static async Task<IResult> RowsAsync(
        string datasetName, HttpContext http, SchemaCatalog catalog, IWarehouseReader reader, QueryDeadline deadline, TarmacOptions options, CursorKey cursorKey)
    {
        if (!catalog.TryGet(datasetName, out var dataset)) return Problems.UnknownDataset(datasetName, catalog.NameList);
        RowsRequest request;
        KeysetPosition? after = null;
        DateTimeOffset? cursorSnapshot = null;
        try
        {
            request = QueryGrammar.ParseRows(dataset, RequestQuery.Pairs(http.Request.Query), RequestQuery.Negotiate(http.Request.Headers.Accept));
            if (Granted(http, dataset, out var refused) is not { } grant) return refused!;
            // The token's filters join the request's (rows, counts, exports and cursors all come from this request).
            request = request with { Filters = [.. request.Filters, .. grant], Normalized = request.Normalized + RowFilters.Describe(grant) };
            if (request.Cursor is not null) (cursorSnapshot, after) = Cursor.Decode(request, request.Cursor, cursorKey);
        }
        catch (BadQueryParameterException e)
        {
            return BadParameter(e);
        }

        return await deadline.RunAsync(http, async (ct, startResponse) =>
        {
            var version = await reader.GetVersionAsync(dataset, ct);
            // Every page of a walk sees the data as it was on the first page: later loads cannot shift or repeat rows.
            var snapshot = request.Cursor is null ? version.LastLoadedAt : cursorSnapshot;
            if (ConditionalGet.NotModified(http, version, request.Representation)) return TypedResults.StatusCode(StatusCodes.Status304NotModified);

            var query = request.ToQuery(dataset, after, snapshot);
            if (request.Count) http.Response.Headers["X-Total-Count"] = (await reader.CountAsync(query, ct)).ToString(CultureInfo.InvariantCulture);
            void LinkNext(KeysetPosition end) =>
                http.Response.Headers.Link = $"<{RequestQuery.NextPageUrl(http.Request, Cursor.Encode(request, snapshot, end, cursorKey))}>; rel=\"next\"";

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

    /// <summary>The caller's row filters over a dataset, or null with the 403 when they cannot apply to it.</summary>
    private static IReadOnlyList<Filter>? Granted(HttpContext http, DatasetSchema dataset, out ProblemHttpResult? refused)
    {
        var grant = RowFilters.For(http.Caller(), dataset, out var why);
        refused = why is null ? null : Problems.Create(StatusCodes.Status403Forbidden, "Filter does not apply", why);
        return why is null ? grant : null;
    }

    private static ProblemHttpResult BadParameter(BadQueryParameterException e) =>
        Problems.BadParameter(e.Parameter, e.Message, e.Allowed);

    private static Task<IResult> GetFlightStats(HttpContext http, SchemaCatalog catalog, IWarehouseReader reader, QueryDeadline deadline) =>
        StatsAsync(DefaultDataset, http, catalog, reader, deadline);

    private static Task<IResult> GetDatasetStats(string name, HttpContext http, SchemaCatalog catalog, IWarehouseReader reader, QueryDeadline deadline) =>
        StatsAsync(name, http, catalog, reader, deadline);

    private static async Task<IResult> StatsAsync(string datasetName, HttpContext http, SchemaCatalog catalog, IWarehouseReader reader, QueryDeadline deadline)
    {
        if (!catalog.TryGet(datasetName, out var dataset)) return Problems.UnknownDataset(datasetName, catalog.NameList);
        StatsRequest request;
        try
        {
            request = QueryGrammar.ParseStats(dataset, RequestQuery.Pairs(http.Request.Query));
            if (Granted(http, dataset, out var refused) is not { } grant) return refused!;
            request = new StatsRequest(request.Query with { Filters = [.. request.Query.Filters, .. grant] }, request.Normalized + RowFilters.Describe(grant));
        }
        catch (BadQueryParameterException e)
        {
            return BadParameter(e);
        }

        return await deadline.RunAsync(http, async (ct, startResponse) =>
        {
            var version = await reader.GetVersionAsync(dataset, ct);
            if (ConditionalGet.NotModified(http, version, request.Normalized)) return TypedResults.StatusCode(StatusCodes.Status304NotModified);
            using var writer = ResponseRowWriter.For(RowFormat.Json, http.Response.BodyWriter, startResponse);
            http.Response.ContentType = writer.ContentType;
            await reader.QueryStatsAsync(request.ToQuery(version.LastLoadedAt), writer, ct);
            await writer.CompleteAsync(ct);
            return Results.Empty;
        });
    }
}
