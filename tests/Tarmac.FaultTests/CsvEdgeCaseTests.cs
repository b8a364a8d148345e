using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.Testing;
using Xunit.Abstractions;

namespace Tarmac.FaultTests;

/// <summary>
/// Generated CSV edge cases (quotes, doubled quotes, CRLF and LF, a BOM, embedded newlines, blank lines, empty and
/// whitespace fields, long fields, Unicode, every schema type at its edges, malformed records): the C# path and the bulk
/// path each give exactly the outcome <see cref="CsvCaseGenerator"/> knows by construction. TARMAC_FAULT_SEED replays,
/// TARMAC_FAULT_CSV_FILES sets how many files (the long form).
/// </summary>
public sealed class CsvEdgeCaseTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Both_load_paths_equal_the_reference_on_generated_files()
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("TARMAC_FAULT_SEED"), out var s) ? s : Random.Shared.Next();
        var files = int.TryParse(Environment.GetEnvironmentVariable("TARMAC_FAULT_CSV_FILES"), out var f) ? f : 40;
        output.WriteLine($"seed {seed}, {files} files (replay: TARMAC_FAULT_SEED={seed} TARMAC_FAULT_CSV_FILES={files})");
        var schemas = TempDirs.Create("edge-schemas");
        File.WriteAllText(Path.Combine(schemas, CsvCaseGenerator.Dataset + ".json"), CsvCaseGenerator.Schema);
        using var rowByRow = new TarmacHost(schemaDir: schemas, settings: new Dictionary<string, string?> { ["TARMAC_BULK_THRESHOLD_BYTES"] = "-1" });
        using var bulk = new TarmacHost(schemaDir: schemas, settings: new Dictionary<string, string?> { ["TARMAC_BULK_THRESHOLD_BYTES"] = "0" });
        var rng = new Random(seed);
        var failures = new List<string>();
        long records = 0;
        for (var n = 1; n <= files; n++)
        {
            var expected = CsvCaseGenerator.Make(n, rng);
            records += expected.Records;
            foreach (var (path, host) in new[] { ("C#", rowByRow), ("bulk", bulk) })
            {
                var actual = await LoadAsync(host, expected);
                if (actual != Summary(expected)) failures.Add($"{path} path, {expected.Describe()}: expected {Summary(expected)}, got {actual}");
            }
        }
        output.WriteLine($"{files} files, {records} records, {failures.Count} failures");
        Assert.True(failures.Count == 0, $"seed {seed}: " + string.Join("\n", failures.Take(10).Select(x => x.Length > 2000 ? x[..2000] + "…" : x)));
    }

    private static string Summary(CsvCaseGenerator.Case c) =>
        Render(c.Records - c.Rejected, c.Rejected, c.ErrorLines.Distinct().Take(100), c.Loaded);

    private static string Render(long loaded, long rejected, IEnumerable<long> lines, IEnumerable<(long Id, string? S)> rows) =>
        $"loaded {loaded}, rejected {rejected}, error lines [{string.Join(' ', lines)}], rows [{string.Join(" | ", rows.Select(r => $"{r.Id}={JsonSerializer.Serialize(r.S)}"))}]";

    private static async Task<string> LoadAsync(TarmacHost host, CsvCaseGenerator.Case c)
    {
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(c.Text));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
        using var response = await host.Http.PostAsync($"/datasets/{CsvCaseGenerator.Dataset}/upload?wait=true", content);
        var doc = await response.Content.ReadFromJsonAsync<JsonElement>();
        if (!doc.TryGetProperty("status", out var status)) return $"HTTP {(int)response.StatusCode}: {doc}";
        if (status.GetString() is "failed" or "stored") return $"status {status.GetString()}";
        var lines = doc.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("line").GetInt64()).Distinct();
        var from = c.Number * 1000L;
        var rows = await host.Http.GetFromJsonAsync<JsonElement>($"/datasets/{CsvCaseGenerator.Dataset}/rows?fields=id,s&id__between={from},{from + 999}&sort=id&limit=1000");
        var loaded = rows.EnumerateArray().Select(r => (r.GetProperty("id").GetInt64(), r.GetProperty("s").ValueKind == JsonValueKind.Null ? null : r.GetProperty("s").GetString()));
        return Render(doc.GetProperty("rows_loaded").GetInt64(), doc.GetProperty("rows_rejected").GetInt64(), lines, loaded);
    }
}
