using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tarmac.Testing;

namespace Tarmac.Tests.Integrity;

/// <summary>
/// Issue 13, defects 1 and 2: every data record of an upload is either loaded or rejected with its line, on both load
/// paths (the C# validator and DuckDB's bulk reader, forced with TARMAC_BULK_THRESHOLD_BYTES), and malformed CSV is a
/// row error under the dataset's partial or all-or-nothing rule, never a failed upload.
/// </summary>
public sealed class RowAccountingTests : IClassFixture<RowAccountingTests.Hosts>
{
    private readonly Hosts _hosts;

    public RowAccountingTests(Hosts hosts) => _hosts = hosts;

    /// <summary>One host per load path, on the same schemas.</summary>
    public sealed class Hosts : IDisposable
    {
        public Hosts()
        {
            var schemas = TempDirs.Create("schemas");
            File.WriteAllText(Path.Combine(schemas, "things.json"), """
                [{"name":"id","type":"INTEGER","mode":"REQUIRED"},{"name":"label","type":"STRING"},{"name":"score","type":"FLOAT"}]
                """);
            File.Copy(Path.Combine(schemas, "things.json"), Path.Combine(schemas, "strict.json"));
            File.WriteAllText(Path.Combine(schemas, "strict.options.json"), """{"all_or_nothing": true}""");
            RowByRow = new TarmacHost(schemaDir: schemas, settings: new Dictionary<string, string?> { ["TARMAC_BULK_THRESHOLD_BYTES"] = "-1" });
            Bulk = new TarmacHost(schemaDir: schemas, settings: new Dictionary<string, string?> { ["TARMAC_BULK_THRESHOLD_BYTES"] = "0" });
        }

        public TarmacHost RowByRow { get; }
        public TarmacHost Bulk { get; }

        public void Dispose()
        {
            RowByRow.Dispose();
            Bulk.Dispose();
        }
    }

    private async Task<(JsonElement Upload, List<long> LoadedIds)[]> UploadToBothAsync(string dataset, string csv)
    {
        var results = new List<(JsonElement, List<long>)>();
        foreach (var host in new[] { _hosts.RowByRow, _hosts.Bulk })
        {
            var response = await host.PostCsvAsync($"/datasets/{dataset}/upload?wait=true", csv);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var upload = await response.Content.ReadFromJsonAsync<JsonElement>();
            var rows = await host.Http.GetFromJsonAsync<JsonElement>($"/datasets/{dataset}/rows?limit=10000&sort=id&fields=id,label");
            // Only this upload's rows: ids are unique per test case (each case uses its own id range).
            var ids = rows.EnumerateArray().Select(r => r.GetProperty("id").GetInt64()).Where(i => i / 1000 == CaseOf(csv)).ToList();
            results.Add((upload, ids));
        }
        return [.. results];
    }

    private static long CaseOf(string csv) => long.Parse(csv.Split('\n')[1].Split(',')[0].Trim('"'), System.Globalization.CultureInfo.InvariantCulture) / 1000;

    private static (string?, long, long) Counts(JsonElement u) =>
        (u.GetProperty("status").GetString(), u.GetProperty("rows_loaded").GetInt64(), u.GetProperty("rows_rejected").GetInt64());

    private static List<(long Line, string? Reason)> Errors(JsonElement u) =>
        u.GetProperty("errors").EnumerateArray().Select(e => (e.GetProperty("line").GetInt64(), e.GetProperty("reason").GetString())).ToList();

    [Fact]
    public async Task A_line_starting_with_a_hash_is_a_record_not_a_comment()
    {
        // "#2" is not an integer: rejected at its own line. "#tag" is a fine label: loaded. Nothing vanishes.
        var csv = "id,label\n1001,a\n#2,b\n1003,#tag\n1004,d\n";
        foreach (var (upload, ids) in await UploadToBothAsync("things", csv))
        {
            Assert.Equal(("partially_loaded", 3L, 1L), Counts(upload));
            Assert.Equal([(3L, "must be an integer")], Errors(upload));
            Assert.Equal([1001L, 1003L, 1004L], ids);
        }
    }

    [Fact]
    public async Task A_character_after_a_closing_quote_is_a_row_error_with_its_line()
    {
        var csv = "id,label\n2001,a\n2002,\"b\"x\n2003,\"c \"\"q\"\"\"\n";
        foreach (var (upload, ids) in await UploadToBothAsync("things", csv))
        {
            Assert.Equal(("partially_loaded", 2L, 1L), Counts(upload));
            Assert.Equal([(3L, "field 2 has a character after its closing quote (a quote inside a quoted field must be doubled)")], Errors(upload));
            Assert.Equal([2001L, 2003L], ids);
        }
    }

    [Fact]
    public async Task A_record_over_one_mebibyte_is_a_row_error_and_the_rest_loads()
    {
        var csv = $"id,label\n3001,a\n3002,{new string('x', (1 << 20) + 1)}\n3003,c\n";
        foreach (var (upload, ids) in await UploadToBothAsync("things", csv))
        {
            Assert.Equal(("partially_loaded", 2L, 1L), Counts(upload));
            Assert.Equal([(3L, "the record is longer than the limit of 1048576 bytes")], Errors(upload));
            Assert.Equal([3001L, 3003L], ids);
        }
    }

    [Fact]
    public async Task Malformed_csv_in_an_all_or_nothing_dataset_rejects_the_upload()
    {
        var csv = "id,label\n4001,a\n4002,\"b\"x\n";
        foreach (var (upload, ids) in await UploadToBothAsync("strict", csv))
        {
            Assert.Equal(("rejected", 0L, 1L), Counts(upload));
            Assert.Equal(3L, Errors(upload).Single().Line);
            Assert.Empty(ids);
        }
    }

    [Fact]
    public async Task An_unclosed_quote_is_one_row_error_and_the_records_before_it_load()
    {
        var csv = "id,label\n5001,a\n5002,\"never closed\n5003,c\n";
        foreach (var (upload, ids) in await UploadToBothAsync("things", csv))
        {
            Assert.Equal(("partially_loaded", 1L, 1L), Counts(upload));
            Assert.Equal([(3L, "a quoted field is not closed: its closing quote is missing before the end of the file")], Errors(upload));
            Assert.Equal([5001L], ids);
        }
    }
}
