using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tarmac.Cli.Commands;

/// <summary><c>tarmac datasets [NAME]</c>: datasets with their row counts and freshness, or one dataset's columns.</summary>
public static class DatasetsCommand
{
    /// <summary>The command.</summary>
    public static Command Create(GlobalOptions g)
    {
        var name = new Argument<string?>("NAME") { Description = "One dataset: list its columns.", Arity = ArgumentArity.ZeroOrOne };
        var format = new Option<ListFormat>("--format") { Description = "table or json.", DefaultValueFactory = _ => ListFormat.Table };
        var command = new Command("datasets", "List the datasets (rows, last load, columns), or one dataset's columns.") { name, format };
        command.Handle(g, async (r, ct) =>
        {
            using var client = g.Client(r);
            var one = r.GetValue(name);
            var doc = await client.GetJsonAsync(one is null ? "/datasets" : $"/datasets/{Uri.EscapeDataString(one)}", ct);
            if (r.GetValue(format) == ListFormat.Json) StatsCommand.WriteList(g.Console, doc, ListFormat.Json);
            else if (one is not null) StatsCommand.WriteList(g.Console, doc.GetProperty("columns"), ListFormat.Table, ["name", "type", "mode", "description"]);
            else StatsCommand.WriteList(g.Console, Summaries(doc), ListFormat.Table);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>One line per dataset: the column list becomes its count.</summary>
    private static JsonElement Summaries(JsonElement datasets)
    {
        var rows = new JsonArray();
        foreach (var d in datasets.EnumerateArray())
            rows.Add(new JsonObject
            {
                ["name"] = d.GetProperty("name").GetString(),
                ["rows"] = d.GetProperty("rows").GetInt64(),
                ["last_loaded_at"] = d.TryGetProperty("last_loaded_at", out var at) && at.ValueKind == JsonValueKind.String ? at.GetString() : null,
                ["columns"] = d.GetProperty("columns").GetArrayLength(),
            });
        return JsonSerializer.SerializeToElement(rows);
    }
}
