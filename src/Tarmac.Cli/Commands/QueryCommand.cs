using System.CommandLine;
using Tarmac.Cli.Query;

namespace Tarmac.Cli.Commands;

/// <summary><c>tarmac query [--dataset] [--filter col__op=v …] [--fields] [--sort] [--format table|csv|ndjson] [--all]</c>.</summary>
public static class QueryCommand
{
    /// <summary>Page size of <c>--all</c> when <c>--limit</c> is not given (the largest JSON page).</summary>
    public const int AllPageRows = 10_000;

    /// <summary>The command.</summary>
    public static Command Create(GlobalOptions g)
    {
        var dataset = new Option<string>("--dataset", "-d") { Description = "The dataset to read.", DefaultValueFactory = _ => "flights" };
        var filter = new Option<string[]>("--filter", "-f") { Description = "A filter column__op=value (eq, ne, gt, gte, lt, lte, in, notin, between, startswith, isnull); repeat to AND them. See docs/query-api.md." };
        var fields = new Option<string?>("--fields") { Description = "Columns to return, comma-separated (default: all)." };
        var sort = new Option<string?>("--sort") { Description = "Up to 3 sort keys, comma-separated; -column for descending." };
        var format = new Option<RowsFormat>("--format") { Description = "table, csv or ndjson.", DefaultValueFactory = _ => RowsFormat.Table };
        var all = new Option<bool>("--all") { Description = "Follow the next-page links until every matching row was read." };
        var limit = new Option<int?>("--limit") { Description = $"Rows per page (server default 10; with --all, {AllPageRows})." };
        var command = new Command("query", "Read rows with filters, fields and sort; stream them as a table, CSV or NDJSON.") { dataset, filter, fields, sort, format, all, limit };
        command.Handle(g, async (r, ct) =>
        {
            using var client = g.Client(r);
            var rowsFormat = r.GetValue(format);
            var pageRows = r.GetValue(limit) ?? (r.GetValue(all) ? AllPageRows : null);
            var query = new QueryString()
                .AddFilters(r.GetValue(filter))
                .Add("fields", r.GetValue(fields))
                .Add("sort", r.GetValue(sort))
                .Add("limit", pageRows?.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Add("format", rowsFormat == RowsFormat.Csv ? "csv" : "ndjson");
            var path = $"/datasets/{Uri.EscapeDataString(r.GetRequiredValue(dataset))}/rows{query}";
            await new RowsQuery(client, g.Console).RunAsync(path, rowsFormat, r.GetValue(all), ct);
            return ExitCodes.Ok;
        });
        return command;
    }
}
