using System.Text.Json.Nodes;
using Microsoft.OpenApi;
using Tarmac.Core.Query;

namespace Tarmac.Query;

/// <summary>OpenAPI text for the query endpoints, whose filter parameters are dynamic (one per schema column and operator).</summary>
internal static class QueryDocs
{
    public const string RowsDescription = """
        Rows of a dataset. With no parameter: the first 10 rows in load order as a JSON array.

        **Filters** on any schema column, AND-ed: `col=v` (equals; `col__eq=v` for a column named like a reserved parameter),
        `col__ne`, `__gt`, `__gte`, `__lt`, `__lte`, `__in=a,b,c` (at most 100 values), `__notin`, `__between=low,high` (inclusive),
        `__startswith` (STRING only), `__isnull=true|false`. Values are parsed with the column's type: INTEGER, FLOAT, NUMERIC,
        BOOLEAN (true/false), STRING (exact), DATE (YYYY-MM-DD), TIMESTAMP (ISO 8601, UTC when no zone). `__ne` and `__notin` follow
        SQL: they do not match NULLs.

        **fields**=a,b selects columns. **sort**=-dep_delay,id (at most 3 keys, `-` descending, NULLs last both ways; ties are broken by load order).
        **limit**: default 10, at most 10,000 for JSON and 1,000,000 for NDJSON/CSV. Pages are keyset pages: the next page's URL is in
        the `Link: <…>; rel="next"` header; its opaque `cursor` is bound to the query, and a walk sees the data as of its first page.
        **format**=json|ndjson|csv (or `Accept: application/x-ndjson` / `text/csv`); NDJSON and CSV stream. **count**=true adds `X-Total-Count`.

        `ETag` (data version + query) and `Last-Modified` (latest load) are set; `If-None-Match`/`If-Modified-Since` give 304.
        A query over the time limit is stopped and answered 503 with `Retry-After`. A response still being read when the export
        time limit (default 10 minutes from its first byte) passes is cut off: NDJSON ends with a line `{"$error": {"status": 503,
        "title": "Export cut off", "detail": …}}`; CSV and JSON end without their terminating chunk (the connection is aborted),
        which HTTP clients report as a body that ended early. Any parameter outside this grammar is a 400 problem naming the
        `parameter` and listing what is `allowed`.
        """;

    public const string StatsDescription = """
        Aggregates of a dataset as a JSON array of objects, one per group.

        **group_by**=carrier,origin (at most 3 columns). **metrics**=count,avg:dep_delay,p95:arr_delay: `count`, or `fn:column` with
        fn in sum, avg, min, max, p50, p95 on a numeric column; output keys are `count` and `fn_column` (`avg_dep_delay`).
        avg and percentiles are floating point; percentiles are exact `quantile_cont` locally and `APPROX_QUANTILES(x, 100)` on BigQuery.
        The same **filters** as the rows endpoints. **min_count**=N hides groups with fewer rows. **sort**=-count (output keys, at most 3;
        ties by the group-by columns). **limit**: default 100, at most 10,000. ETag/Last-Modified/304 and the time limit as for rows.
        """;

    public static Task DescribeRows(OpenApiOperation op)
    {
        Add(op, "fields", "Comma-separated columns to return (default all).", "id,carrier,dep_delay");
        Add(op, "sort", "Up to 3 sort keys, '-' for descending; NULLs last.", "-dep_delay,id");
        Add(op, "limit", $"Rows per page: default {QueryGrammar.DefaultRowsLimit}, max {QueryGrammar.MaxJsonLimit:N0} (JSON) or {QueryGrammar.MaxStreamLimit:N0} (NDJSON/CSV).", 100, JsonSchemaType.Integer);
        Add(op, "cursor", "Opaque cursor of the next page, as given in the Link header.", null);
        Add(op, "format", "json (default), ndjson or csv; or use the Accept header.", "csv");
        Add(op, "count", "true adds X-Total-Count: the number of matching rows.", true, JsonSchemaType.Boolean);
        AddFilterExamples(op);
        AddResponseHeaders(op, rows: true);
        return Task.CompletedTask;
    }

    public static Task DescribeStats(OpenApiOperation op)
    {
        Add(op, "group_by", "Up to 3 columns to group by.", "carrier,origin");
        Add(op, "metrics", "count, or fn:column with fn in sum, avg, min, max, p50, p95 (numeric columns). Default count.", "count,avg:dep_delay,p95:arr_delay");
        Add(op, "min_count", "Hide groups with fewer rows.", 10, JsonSchemaType.Integer);
        Add(op, "sort", "Up to 3 output keys, '-' for descending.", "-count");
        Add(op, "limit", $"Most groups: default {QueryGrammar.DefaultStatsLimit}, max {QueryGrammar.MaxStatsLimit:N0}.", 100, JsonSchemaType.Integer);
        AddFilterExamples(op);
        AddResponseHeaders(op, rows: false);
        return Task.CompletedTask;
    }

    private static void AddFilterExamples(OpenApiOperation op)
    {
        Add(op, "carrier", "Example filter: equals (any column works the same way).", "UA");
        Add(op, "dep_delay__gt", "Example filter: greater than (operators: ne, gt, gte, lt, lte, in, notin, between, startswith, isnull).", 60, JsonSchemaType.Number);
        Add(op, "origin__in", "Example filter: one of at most 100 comma-separated values.", "EWR,JFK");
        Add(op, "time_hour__between", "Example filter: inclusive range of two comma-separated values.", "2013-01-01T00:00:00Z,2013-01-31T23:59:59Z");
    }

    private static void Add(OpenApiOperation op, string name, string description, object? example, JsonSchemaType type = JsonSchemaType.String)
    {
        op.Parameters ??= [];
        op.Parameters.Add(new OpenApiParameter
        {
            Name = name,
            In = ParameterLocation.Query,
            Required = false,
            Description = description,
            Schema = new OpenApiSchema { Type = type },
            Example = example switch { null => null, string s => JsonValue.Create(s), int i => JsonValue.Create(i), bool b => JsonValue.Create(b), _ => null },
        });
    }

    private static void AddResponseHeaders(OpenApiOperation op, bool rows)
    {
        if (op.Responses is null) return;
        foreach (var (code, response) in op.Responses)
        {
            if (response is not OpenApiResponse r) continue;
            r.Headers ??= new Dictionary<string, IOpenApiHeader>();
            if (code is "200" or "304")
            {
                r.Headers["ETag"] = Header("Strong validator: the dataset's data version and the normalized query.");
                r.Headers["Last-Modified"] = Header("Time of the latest load into the dataset.");
            }
            if (code == "200" && rows)
            {
                r.Headers["Link"] = Header("RFC 8288 link to the next page: <url>; rel=\"next\". Absent on the last page.");
                r.Headers["X-Total-Count"] = Header("Number of matching rows, with count=true.");
            }
            if (code == "503") r.Headers["Retry-After"] = Header("Seconds to wait before retrying a query stopped by the time limit.");
        }
    }

    private static OpenApiHeader Header(string description) => new() { Description = description, Schema = new OpenApiSchema { Type = JsonSchemaType.String } };
}
