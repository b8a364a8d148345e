using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Tarmac.CloudSimulation.StandIn;

/// <summary>The load job itself: read every NDJSON source, type each record by the job's schema, commit all or nothing.</summary>
public sealed partial class BigQueryStandIn
{
    private void RunLoad(JsonObject job, JsonNode load, string? injectedFailure)
    {
        JsonObject? error = null;
        var errors = new JsonArray();
        long loaded = 0;
        try
        {
            var table = load["destinationTable"]!["tableId"]!.GetValue<string>();
            if (injectedFailure is not null) error = Error(injectedFailure, "injected load job failure");
            else if (!_tables.TryGetValue(table, out var tableSchema)) error = Error("notFound", $"Not found: Table {_host.Project}:{_host.DatasetId}.{table}");
            else
            {
                var schema = load["schema"]?["fields"] is JsonArray fs ? fs.Select(f => BqField.FromJson(f!)).ToList() : tableSchema;
                var maxBad = load["maxBadRecords"]?.GetValue<int>() ?? 0;
                var rows = new List<object?[]>();
                var bad = 0;
                foreach (var uri in load["sourceUris"]!.AsArray().Select(u => u!.GetValue<string>()))
                {
                    var path = uri["gs://".Length..];
                    var slash = path.IndexOf('/', StringComparison.Ordinal);
                    if (_host.Storage.Get(path[..slash], path[(slash + 1)..]) is not { } blob) { error = Error("notFound", $"Not found: URI {uri}"); break; }
                    var lineNo = 0;
                    foreach (var line in Encoding.UTF8.GetString(blob.Data).Split('\n'))
                    {
                        lineNo++;
                        if (line.Trim().Length == 0) continue;
                        var rowErrors = new List<string>();
                        var losses = 0;
                        object?[] values;
                        try { values = BigQueryValues.ReadRow(JsonNode.Parse(line)!.AsObject(), schema, rowErrors, ref losses); }
                        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException) { rowErrors.Add($"JSON parsing error in row starting at position {lineNo}: {e.Message}"); values = []; }
                        Interlocked.Add(ref _precisionLosses, losses);
                        if (rowErrors.Count > 0)
                        {
                            bad++;
                            foreach (var e in rowErrors) errors.Add(Error("invalid", $"Error while reading data, error message: {e} File: {uri}; line {lineNo}"));
                            continue;
                        }
                        rows.Add(schema.Count == tableSchema.Count ? values : Reorder(values, schema, tableSchema));
                    }
                    if (error is not null) break;
                }
                if (error is null && bad > maxBad)
                    error = Error("invalid", $"Error while reading data, error message: JSON table encountered too many errors, giving up. Rows: {rows.Count + bad}; errors: {bad}; max bad: {maxBad}");
                if (error is null)
                {
                    _engine.Insert(table, tableSchema, rows); // all rows in one transaction, or none
                    loaded = rows.Count;
                    _modified[table] = DateTimeOffset.UtcNow;
                }
            }
        }
        catch (Exception e)
        {
            error = Error("internalError", e.Message);
        }
        lock (job)
        {
            var status = new JsonObject { ["state"] = "DONE" };
            if (error is not null)
            {
                status["errorResult"] = error;
                if (errors.Count == 0) errors.Add(error.DeepClone());
                status["errors"] = errors;
            }
            job["status"] = status;
            job["statistics"]!["endTime"] = Millis(DateTimeOffset.UtcNow);
            job["statistics"]!["load"] = new JsonObject { ["outputRows"] = loaded.ToString(CultureInfo.InvariantCulture), ["badRecords"] = "0" };
        }
    }

    private static object?[] Reorder(object?[] values, List<BqField> from, List<BqField> to) =>
        to.Select(f => from.FindIndex(x => x.Name == f.Name) is var i and >= 0 ? values[i] : null).ToArray();
}
