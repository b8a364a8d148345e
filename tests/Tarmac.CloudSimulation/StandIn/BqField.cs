using System.Text.Json.Nodes;

namespace Tarmac.CloudSimulation.StandIn;

/// <summary>A column of a BigQuery table schema.</summary>
public sealed record BqField(string Name, string Type, string Mode = "NULLABLE")
{
    public bool Required => Mode == "REQUIRED";

    /// <summary>The fields of a BigQuery JSON schema file (an array of {name, type, mode}).</summary>
    public static List<BqField> FromSchemaFile(string path) =>
        JsonNode.Parse(File.ReadAllText(path))!.AsArray().Select(f => FromJson(f!)).ToList();

    public static BqField FromJson(JsonNode f) =>
        new(f["name"]!.GetValue<string>(), Normal(f["type"]!.GetValue<string>()), f["mode"]?.GetValue<string>() ?? "NULLABLE");

    /// <summary>Legacy and GoogleSQL names of the same type are one type.</summary>
    public static string Normal(string type) => type.ToUpperInvariant() switch
    {
        "INT64" => "INTEGER",
        "FLOAT64" => "FLOAT",
        "BOOL" => "BOOLEAN",
        var t => t,
    };
}
