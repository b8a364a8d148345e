using System.Globalization;
using System.Text.Json.Nodes;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>A named, typed query parameter as <c>jobs.query</c> takes it (values always travel as strings).</summary>
/// <param name="Name">Parameter name, used as <c>@name</c> in the SQL.</param>
/// <param name="Type">Standard SQL type: STRING, INT64, FLOAT64, NUMERIC, BOOL, DATE, TIMESTAMP.</param>
/// <param name="Value">The value; null for SQL NULL.</param>
/// <param name="ArrayValues">For an ARRAY of <paramref name="Type"/>: its elements (then <paramref name="Value"/> is ignored).</param>
public sealed record BigQueryParameter(string Name, string Type, string? Value, IReadOnlyList<string>? ArrayValues = null)
{
    public static BigQueryParameter String(string name, string? value) => new(name, "STRING", value);
    public static BigQueryParameter Int64(string name, long value) => new(name, "INT64", value.ToString(CultureInfo.InvariantCulture));
    public static BigQueryParameter StringArray(string name, IReadOnlyList<string> values) => new(name, "STRING", null, values);

    /// <summary>The <c>QueryParameter</c> JSON object.</summary>
    public JsonObject ToJson()
    {
        if (ArrayValues is not null)
        {
            var values = new JsonArray();
            foreach (var v in ArrayValues) values.Add(new JsonObject { ["value"] = v });
            return new JsonObject
            {
                ["name"] = Name,
                ["parameterType"] = new JsonObject { ["type"] = "ARRAY", ["arrayType"] = new JsonObject { ["type"] = Type } },
                ["parameterValue"] = new JsonObject { ["arrayValues"] = values },
            };
        }
        return new JsonObject
        {
            ["name"] = Name,
            ["parameterType"] = new JsonObject { ["type"] = Type },
            ["parameterValue"] = new JsonObject { ["value"] = Value },
        };
    }
}
