using System.CommandLine;
using System.Text.Json;
using Tarmac.Cli.Query;

namespace Tarmac.Cli.Commands;

/// <summary><c>tarmac stats [--group-by] [--metrics] [--filter …]</c>: aggregates.</summary>
public static class StatsCommand
{
    /// <summary>The command.</summary>
    public static Command Create(GlobalOptions g)
    {
        var dataset = new Option<string>("--dataset", "-d") { Description = "The dataset to aggregate.", DefaultValueFactory = _ => "flights" };
        var groupBy = new Option<string?>("--group-by") { Description = "Up to 3 columns, comma-separated." };
        var metrics = new Option<string?>("--metrics") { Description = "count, or function:column with sum, avg, min, max, p50, p95; comma-separated (default count)." };
        var filter = new Option<string[]>("--filter", "-f") { Description = "A filter column__op=value; repeat to AND them." };
        var sort = new Option<string?>("--sort") { Description = "Up to 3 output keys, e.g. -count." };
        var minCount = new Option<long?>("--min-count") { Description = "Hide groups of fewer rows." };
        var limit = new Option<int?>("--limit") { Description = "Groups to return (server default 100)." };
        var format = new Option<ListFormat>("--format") { Description = "table or json.", DefaultValueFactory = _ => ListFormat.Table };
        var command = new Command("stats", "Aggregates (count, sum, avg, min, max, p50, p95) by up to 3 columns.") { dataset, groupBy, metrics, filter, sort, minCount, limit, format };
        command.Handle(g, async (r, ct) =>
        {
            using var client = g.Client(r);
            var query = new QueryString()
                .Add("group_by", r.GetValue(groupBy))
                .Add("metrics", r.GetValue(metrics))
                .AddFilters(r.GetValue(filter))
                .Add("sort", r.GetValue(sort))
                .Add("min_count", r.GetValue(minCount)?.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Add("limit", r.GetValue(limit)?.ToString(System.Globalization.CultureInfo.InvariantCulture));
            var doc = await client.GetJsonAsync($"/datasets/{Uri.EscapeDataString(r.GetRequiredValue(dataset))}/stats{query}", ct);
            WriteList(g.Console, doc, r.GetValue(format));
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Writes a JSON array as a table or as it came.</summary>
    internal static void WriteList(CliConsole console, JsonElement doc, ListFormat format, IReadOnlyList<string>? columns = null)
    {
        if (format == ListFormat.Json) console.Out.WriteLine(doc.GetRawText());
        else new TableOutput(console).Write(doc.ValueKind == JsonValueKind.Array ? doc.EnumerateArray().ToList() : [doc], columns);
    }
}
