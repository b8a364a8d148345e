using System.Text.Json.Nodes;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>Rows of a query: each row the <c>f</c> array of <c>{v}</c> cells, in <see cref="Fields"/> order.</summary>
public sealed record QueryResult(IReadOnlyList<(string Name, string Type)> Fields, IReadOnlyList<JsonArray> Rows)
{
    /// <summary>The text of cell <paramref name="column"/> of <paramref name="row"/>, or null.</summary>
    public static string? Cell(JsonArray row, int column) => row[column]?["v"] is JsonValue v ? v.ToString() : null;
}
