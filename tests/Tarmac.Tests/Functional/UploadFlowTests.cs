using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Ports;
using Tarmac.Embedded;
using Tarmac.Process;
using Tarmac.Testing;

namespace Tarmac.Tests.Functional;

/// <summary>The foundation's end-to-end flow over HTTP on loopback, on a real DuckDB file.</summary>
public class UploadFlowTests : IDisposable
{
    private readonly TarmacHost _host;

    public UploadFlowTests() : this(bulkPath: false) { }

    /// <summary><paramref name="bulkPath"/> sends every plain upload through DuckDB's CSV reader (threshold 0).</summary>
    protected UploadFlowTests(bool bulkPath) =>
        _host = new TarmacHost(settings: bulkPath ? new Dictionary<string, string?> { ["TARMAC_BULK_THRESHOLD_BYTES"] = "0" } : null);

    public void Dispose()
    {
        _host.Dispose();
        GC.SuppressFinalize(this);
    }

    private long CountRows(string table = "flights")
    {
        using var c = _host.Services.GetRequiredService<DuckDbDatabase>().Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT count(*) FROM \"{table}\"";
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    [Fact]
    public async Task The_seed_sample_loads_and_getdata_returns_its_exact_values()
    {
        var post = await _host.PostCsvAsync("/upload?wait=true", SampleData.SeedCsv);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var upload = await post.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("loaded", upload.GetProperty("status").GetString());
        Assert.Equal(7, upload.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(0, upload.GetProperty("rows_rejected").GetInt64());
        Assert.Equal(Encoding.UTF8.GetByteCount(SampleData.SeedCsv), upload.GetProperty("bytes").GetInt64());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(SampleData.SeedCsv))),
            upload.GetProperty("sha256").GetString());
        var id = upload.GetProperty("upload_id").GetString()!;
        Assert.Equal($"/uploads/{id}", upload.GetProperty("status_url").GetString());
        Assert.Matches($"^raw/flights/\\d{{4}}-\\d{{2}}-\\d{{2}}/{id}\\.csv$", upload.GetProperty("object").GetString());

        var rows = await _host.Http.GetFromJsonAsync<JsonElement>("/getdata");
        Assert.Equal(7, rows.GetArrayLength());
        var first = rows[0].GetRawText();
        Assert.Equal(
            """{"id":0,"year":2013,"month":1,"day":1,"dep_time":517,"sched_dep_time":515,"dep_delay":2,"arr_time":830,"sched_arr_time":819,"arr_delay":11,"carrier":"UA","flight":"1545","tailnum":"N14228","origin":"EWR","dest":"IAH","air_time":227,"distance":1400,"hour":5,"minute":15,"time_hour":"2013-01-01T05:00:00Z","name":"United Air Lines Inc."}""",
            first);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], rows.EnumerateArray().Select(r => r.GetProperty("id").GetInt32()));
        Assert.Equal(-1.0, rows[3].GetProperty("dep_delay").GetDouble());
        Assert.Equal(-25.0, rows[4].GetProperty("arr_delay").GetDouble());
        Assert.Equal("JetBlue Airways", rows[6].GetProperty("name").GetString());
        Assert.Equal("2013-01-01T06:00:00Z", rows[6].GetProperty("time_hour").GetString());
    }

    [Fact]
    public async Task The_same_file_posted_twice_answers_the_original_upload_and_loads_once()
    {
        var first = await (await _host.PostCsvAsync("/upload?wait=true", SampleData.SeedCsv)).Content.ReadFromJsonAsync<JsonElement>();
        var again = await _host.PostCsvAsync("/upload?wait=true", SampleData.SeedCsv);
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var second = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(first.GetProperty("upload_id").GetString(), second.GetProperty("upload_id").GetString());
        Assert.True(second.GetProperty("duplicate").GetBoolean());
        Assert.False(first.GetProperty("duplicate").GetBoolean());
        Assert.Equal(7, CountRows());
    }

    [Fact]
    public async Task The_same_event_delivered_twice_loads_once()
    {
        var upload = await (await _host.PostCsvAsync("/upload?wait=true", SampleData.SeedCsv)).Content.ReadFromJsonAsync<JsonElement>();
        var store = _host.Services.GetRequiredService<IObjectStore>();
        var evt = new ObjectFinalized(store.Bucket, upload.GetProperty("object").GetString()!, 1);
        var processor = _host.Services.GetRequiredService<UploadProcessor>();
        var results = await processor.ProcessAsync([evt, evt], default);
        Assert.Empty(results); // already settled: nothing to do
        await _host.Services.GetRequiredService<InProcessObjectEvents>().PublishAsync(evt, default);
        await processor.ProcessAsync([evt], default);
        Assert.Equal(7, CountRows());
        var status = await _host.Http.GetFromJsonAsync<JsonElement>(upload.GetProperty("status_url").GetString());
        Assert.Equal("loaded", status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Fifty_concurrent_uploads_of_distinct_files_all_land()
    {
        var header = SampleData.SeedCsv.Split('\n')[0];
        var posts = Enumerable.Range(0, 50).Select(i =>
            _host.PostCsvAsync("/upload", $"{header}\n{1000 + i},2013,1,{1 + i % 28},517.0,515,2.0,830.0,819,11.0,UA,{i},N1,EWR,IAH,227.0,1400,5,15,2013-01-01 05:00:00,United\n"));
        var responses = await Task.WhenAll(posts);
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var uploads = await Task.WhenAll(responses.Select(r => r.Content.ReadFromJsonAsync<JsonElement>()));
        var ids = uploads.Select(u => u.GetProperty("upload_id").GetString()!).ToList();
        Assert.Equal(50, ids.Distinct().Count());
        Assert.Equal(50, uploads.Select(u => u.GetProperty("object").GetString()).Distinct().Count());
        foreach (var id in ids) Assert.Equal("loaded", (await _host.WaitForOutcomeAsync(id)).GetProperty("status").GetString());
        Assert.Equal(50, CountRows());
        using var c = _host.Services.GetRequiredService<DuckDbDatabase>().Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(DISTINCT id), min(id), max(id) FROM flights";
        using var r = cmd.ExecuteReader();
        r.Read();
        Assert.Equal((50L, 1000L, 1049L), (r.GetInt64(0), r.GetInt64(1), r.GetInt64(2)));
    }

    [Fact]
    public async Task Bad_rows_among_good_ones_load_the_good_and_report_the_bad_with_lines()
    {
        var lines = SampleData.SeedCsv.Split('\n');
        var csv = string.Join('\n', lines[0], lines[1], lines[2].Replace("517.0", "x").Replace("533.0", "533.5"), lines[3], "7,2013,1", lines[4].Replace(",2013,", ",,"));
        var upload = await (await _host.PostCsvAsync("/upload?wait=true", csv)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("partially_loaded", upload.GetProperty("status").GetString());
        Assert.Equal(2, upload.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(3, upload.GetProperty("rows_rejected").GetInt64());
        var errors = upload.GetProperty("errors").EnumerateArray()
            .Select(e => (e.GetProperty("line").GetInt64(), e.GetProperty("column").GetString(), e.GetProperty("value").GetString(), e.GetProperty("reason").GetString()))
            .ToList();
        Assert.Equal(
            [
                (3L, "dep_time", "533.5", "must be an integer (a whole number such as 517 or 517.0)"),
                (5L, null, "7,2013,1", "expected 21 fields as in the header, found 3"),
                (6L, "year", "", "a value is required (the column is REQUIRED)"),
            ],
            errors);
        Assert.Equal(2, CountRows());
    }

    [Fact]
    public async Task A_file_whose_every_row_is_bad_is_rejected_and_loads_nothing()
    {
        var header = SampleData.SeedCsv.Split('\n')[0];
        var upload = await (await _host.PostCsvAsync("/upload?wait=true", header + "\nx,2013,1,1,,,,,,,,,,,,,,,,,\n")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("rejected", upload.GetProperty("status").GetString());
        Assert.Equal(0, upload.GetProperty("rows_loaded").GetInt64());
        Assert.Equal(1, upload.GetProperty("rows_rejected").GetInt64());
        Assert.Equal(0, CountRows());
    }

    [Fact]
    public async Task Multipart_and_gzip_uploads_are_accepted()
    {
        using var form = new MultipartFormDataContent();
        form.Add(new StringContent(SampleData.SeedCsv, Encoding.UTF8, "text/csv"), "file", "takeoffs.csv");
        var multipart = await (await _host.Http.PostAsync("/upload?wait=true", form)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("loaded", multipart.GetProperty("status").GetString());
        Assert.Equal("takeoffs.csv", multipart.GetProperty("file_name").GetString());

        var other = SampleData.SeedCsv.Replace("\n0,2013", "\n100,2013");
        using var gz = new MemoryStream();
        using (var z = new System.IO.Compression.GZipStream(gz, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            z.Write(Encoding.UTF8.GetBytes(other));
        var content = new ByteArrayContent(gz.ToArray());
        content.Headers.ContentType = new("text/csv");
        content.Headers.ContentEncoding.Add("gzip");
        var gzipped = await (await _host.Http.PostAsync("/upload?wait=true", content)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("loaded", gzipped.GetProperty("status").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(other), gzipped.GetProperty("bytes").GetInt64());
        Assert.Equal(14, CountRows());
    }

    [Fact]
    public async Task Unknown_uploads_are_404_problems()
    {
        foreach (var id in new[] { "0123456789abcdef0123456789abcdef", "not-an-id" })
        {
            var r = await _host.Http.GetAsync($"/uploads/{id}");
            Assert.Equal(HttpStatusCode.NotFound, r.StatusCode);
            Assert.Equal("application/problem+json", r.Content.Headers.ContentType?.MediaType);
        }
    }

    [Fact]
    public async Task Health_and_readiness_answer()
    {
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await _host.Http.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task Getdata_on_an_empty_warehouse_is_an_empty_array()
    {
        var rows = await _host.Http.GetFromJsonAsync<JsonElement>("/getdata");
        Assert.Equal(0, rows.GetArrayLength());
    }
}
