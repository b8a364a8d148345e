using System.Globalization;
using System.Numerics;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Tarmac.CloudSimulation.StandIn;

/// <summary>
/// How BigQuery reads a JSON value into a column, for load jobs (NEWLINE_DELIMITED_JSON) and <c>insertAll</c>.
/// INT64 given as a JSON number outside [-2^53+1, 2^53-1] is corrupted by BigQuery's JSON reader: "If you are using the
/// BigQuery API to load an integer outside the range of [-2^53+1, 2^53-1] ... into an integer (INT64) column, you must pass
/// it as a string to avoid data corruption" (https://cloud.google.com/bigquery/docs/loading-data-cloud-storage-json).
/// The stand-in plays that corruption the way JSON/ECMAScript numbers cause it (the value is rounded to a double), and
/// records each occurrence in <see cref="BigQueryStandIn.PrecisionLosses"/>; INT64 given as a JSON string loads exactly.
/// </summary>
public static class BigQueryValues
{
    private const long MaxSafeInteger = (1L << 53) - 1;

    /// <summary>The CLR value for the column, or an error in BigQuery's words.</summary>
    public static object? Read(JsonNode? value, BqField field, out string? error, out bool precisionLost)
    {
        error = null;
        precisionLost = false;
        if (value is null)
        {
            if (field.Required) error = $"Missing required field: {field.Name}.";
            return null;
        }
        var kind = value.GetValueKind();
        var text = kind == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
        switch (field.Type)
        {
            case "INTEGER":
                if (kind == JsonValueKind.Number && BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var big))
                {
                    if (BigInteger.Abs(big) <= MaxSafeInteger) return (long)big;
                    var rounded = (double)big;
                    if (rounded >= 9.2233720368547758E18 || rounded < -9.2233720368547758E18) break;
                    precisionLost = true;
                    return (long)rounded;
                }
                if (kind == JsonValueKind.String && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var exact)) return exact;
                break;
            case "FLOAT":
                if (kind is JsonValueKind.Number or JsonValueKind.String && text switch
                    {
                        "NaN" => double.NaN, "Infinity" => double.PositiveInfinity, "-Infinity" => double.NegativeInfinity,
                        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : (double?)null,
                    } is { } x) return x;
                break;
            case "NUMERIC":
                if (kind is JsonValueKind.Number or JsonValueKind.String && decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var m)) return m;
                break;
            case "BOOLEAN":
                if (kind is JsonValueKind.True or JsonValueKind.False) return kind == JsonValueKind.True;
                if (kind == JsonValueKind.String && bool.TryParse(text, out var b)) return b;
                break;
            case "STRING":
                if (kind == JsonValueKind.String) return text;
                break;
            case "DATE":
                if (kind == JsonValueKind.String && DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)) return date.ToDateTime(TimeOnly.MinValue);
                break;
            case "TIMESTAMP":
                if (kind == JsonValueKind.String && Timestamp(text) is { } t) return t;
                if (kind == JsonValueKind.Number && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
                    return DateTime.UnixEpoch.AddTicks((long)(seconds * TimeSpan.TicksPerSecond));
                break;
        }
        error = $"Could not convert value '{text}' to {field.Type} for field {field.Name}.";
        return null;
    }

    /// <summary>Canonical timestamp text: date, 'T' or space, time with up to 6 fractional digits, then Z, UTC, or an offset (default UTC).</summary>
    public static DateTime? Timestamp(string text)
    {
        var s = text.Trim().Replace('T', ' ');
        if (s.EndsWith(" UTC", StringComparison.Ordinal)) s = s[..^4];
        if (s.EndsWith('Z')) s = s[..^1];
        var styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal;
        string[] formats = ["yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd HH:mm:ss.FFFFFF", "yyyy-MM-dd HH:mm:sszzz", "yyyy-MM-dd HH:mm:ss.FFFFFFzzz", "yyyy-MM-dd HH:mm", "yyyy-MM-dd"];
        return DateTime.TryParseExact(s, formats, CultureInfo.InvariantCulture, styles, out var t) ? DateTime.SpecifyKind(t, DateTimeKind.Utc) : null;
    }

    /// <summary>Reads one JSON row against the schema; unknown fields are errors (<c>ignoreUnknownValues: false</c>).</summary>
    public static object?[] ReadRow(JsonObject row, IReadOnlyList<BqField> schema, List<string> errors, ref int precisionLosses)
    {
        foreach (var (key, _) in row)
            if (!schema.Any(f => f.Name == key)) errors.Add($"No such field: {key}.");
        var values = new object?[schema.Count];
        for (var i = 0; i < schema.Count; i++)
        {
            values[i] = Read(row[schema[i].Name], schema[i], out var error, out var lost);
            if (error is not null) errors.Add(error);
            if (lost) precisionLosses++;
        }
        return values;
    }
}
