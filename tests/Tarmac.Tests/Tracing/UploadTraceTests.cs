using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using DuckDB.NET.Data;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Tracing;

/// <summary>Issue 15, item 3: an upload's trace context, from its POST into the object, the ledger and the status document.</summary>
public sealed class UploadTraceTests
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string TraceParent = $"00-{TraceId}-00f067aa0ba902b7-01";

    /// <summary>Registers the seed file's upload in a fresh ledger under <paramref name="traceParent"/> and marks it failed.</summary>
    private static async Task<string> SeedFailedUploadAsync(string dataDir, string traceParent, string reason)
    {
        var catalog = SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas"));
        var id = UploadIds.New();
        using var db = new DuckDbDatabase(Path.Combine(dataDir, "warehouse.duckdb"), catalog);
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System);
        var bytes = Encoding.UTF8.GetBytes(SampleData.SeedCsv);
        await ledger.RegisterAsync(new UploadRecord
        {
            UploadId = id, Dataset = "flights", Object = UploadIds.ObjectName("flights", id, DateTimeOffset.UtcNow), Bytes = bytes.Length,
            Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), Status = UploadStatus.Stored,
            ReceivedAt = DateTimeOffset.UtcNow, TraceParent = traceParent,
        }, default);
        await ledger.MarkFailedAsync(id, reason, default);
        return id;
    }

    /// <summary>
    /// Posts as an outside client would: with its own <c>traceparent</c> or none. The test process's own HTTP client would
    /// otherwise put the trace of its own outgoing request in the header (the host's tracer provider listens process-wide).
    /// </summary>
    private static async Task<JsonElement> PostAsync(TarmacHost host, string csv, string? traceParent)
    {
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = host.Http.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/upload?wait=true") { Content = new StringContent(csv, Encoding.UTF8, "text/csv") };
        if (traceParent is not null) request.Headers.TryAddWithoutValidation("traceparent", traceParent);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task An_incoming_traceparent_is_continued_into_the_object_metadata_and_the_status_document()
    {
        using var host = new TarmacHost();

        var posted = await PostAsync(host, SampleData.SeedCsv, TraceParent);
        Assert.Equal(TraceId, posted.GetProperty("trace_id").GetString());
        var id = posted.GetProperty("upload_id").GetString()!;

        var status = await host.WaitForOutcomeAsync(id);
        Assert.Equal("loaded", status.GetProperty("status").GetString());
        Assert.Equal(TraceId, status.GetProperty("trace_id").GetString());
        // The object carries the POST's own span as the parent of what process does with it: same trace, a new span id.
        var stored = await host.Services.GetRequiredService<IObjectStore>().GetAsync(status.GetProperty("object").GetString()!, default);
        Assert.Matches($"^00-{TraceId}-[0-9a-f]{{16}}-01$", stored!.Metadata["traceparent"]);
        Assert.DoesNotContain("00f067aa0ba902b7", stored.Metadata["traceparent"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_traceparent_the_upload_gets_a_trace_of_its_own_and_a_duplicate_answers_the_first_ones()
    {
        using var host = new TarmacHost();

        var first = await PostAsync(host, SampleData.SeedCsv, null);
        var traceId = first.GetProperty("trace_id").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        Assert.NotEqual("00000000000000000000000000000000", traceId);

        var again = await PostAsync(host, SampleData.SeedCsv, TraceParent);
        Assert.True(again.GetProperty("duplicate").GetBoolean());
        Assert.Equal(traceId, again.GetProperty("trace_id").GetString());
    }

    [Theory]
    [InlineData("00-not-a-trace-01")]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01")] // an all-zero trace id is invalid (W3C Trace Context)
    [InlineData("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")] // version ff is forbidden
    public async Task A_malformed_traceparent_starts_a_new_trace(string hostile)
    {
        using var host = new TarmacHost();

        var posted = await PostAsync(host, SampleData.SeedCsv + "\n", hostile);
        var traceId = posted.GetProperty("trace_id").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", traceId);
        Assert.NotEqual("00000000000000000000000000000000", traceId);
        Assert.NotEqual(TraceId, traceId);
    }

    [Fact]
    public async Task A_failed_upload_without_a_stored_trace_id_reports_its_own_trace_id()
    {
        var dataDir = TempDirs.Create("tarmac-data");
        var id = await SeedFailedUploadAsync(dataDir, TraceParent, "The raw object vanished before it was loaded.");
        using var host = new TarmacHost(dataDir);

        var status = await host.Http.GetFromJsonAsync<JsonElement>($"/uploads/{id}");
        Assert.Equal("failed", status.GetProperty("status").GetString());
        Assert.Equal(TraceId, status.GetProperty("trace_id").GetString());
        Assert.EndsWith($"report trace id {TraceId}.", status.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Re_posting_the_bytes_of_a_failed_upload_traces_the_retry_under_the_new_POST()
    {
        var dataDir = TempDirs.Create("tarmac-data");
        var id = await SeedFailedUploadAsync(dataDir, "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01",
            "trace_id=0123456789abcdef0123456789abcdef; IOException: disk");
        using var host = new TarmacHost(dataDir);

        var retried = await PostAsync(host, SampleData.SeedCsv, TraceParent);
        Assert.Equal(id, retried.GetProperty("upload_id").GetString());
        Assert.Equal("loaded", retried.GetProperty("status").GetString());
        Assert.Equal(TraceId, retried.GetProperty("trace_id").GetString());
        Assert.Equal(TraceId, (await host.Http.GetFromJsonAsync<JsonElement>($"/uploads/{id}")).GetProperty("trace_id").GetString());
    }

    /// <summary>A ledger written before traces were kept gains the column; its rows read back with no trace id.</summary>
    [Fact]
    public async Task A_ledger_from_before_traces_is_migrated_and_its_uploads_show_a_null_trace_id()
    {
        var dataDir = TempDirs.Create("tarmac-data");
        var id = UploadIds.New();
        using (var c = new DuckDBConnection($"Data Source={Path.Combine(dataDir, "warehouse.duckdb")}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            // The ledger table exactly as the first release created it.
            cmd.CommandText = $"""
                CREATE TABLE _tarmac_uploads (
                  upload_id VARCHAR PRIMARY KEY, dataset VARCHAR NOT NULL, object VARCHAR NOT NULL, bytes BIGINT NOT NULL,
                  sha256 VARCHAR NOT NULL, status VARCHAR NOT NULL, file_name VARCHAR, content_type VARCHAR, client VARCHAR,
                  rows_loaded BIGINT NOT NULL DEFAULT 0, rows_rejected BIGINT NOT NULL DEFAULT 0, errors VARCHAR, error VARCHAR,
                  received_at TIMESTAMP NOT NULL, processing_started_at TIMESTAMP, completed_at TIMESTAMP, attempts INTEGER NOT NULL DEFAULT 0);
                CREATE UNIQUE INDEX _tarmac_uploads_content ON _tarmac_uploads(dataset, sha256);
                INSERT INTO _tarmac_uploads (upload_id, dataset, object, bytes, sha256, status, rows_loaded, errors, received_at, processing_started_at, completed_at, attempts)
                VALUES ('{id}', 'flights', 'raw/flights/2026-01-01/{id}.csv', 1001, 'c08f', 'loaded', 7, '[]', TIMESTAMP '2026-01-01 00:00:00', TIMESTAMP '2026-01-01 00:00:01', TIMESTAMP '2026-01-01 00:00:02', 1);
                """;
            cmd.ExecuteNonQuery();
        }
        using var host = new TarmacHost(dataDir);

        var old = await host.Http.GetFromJsonAsync<JsonElement>($"/uploads/{id}");
        Assert.Equal("loaded", old.GetProperty("status").GetString());
        Assert.Equal(JsonValueKind.Null, old.GetProperty("trace_id").ValueKind);
        var posted = await PostAsync(host, SampleData.SeedCsv, TraceParent);
        Assert.Equal("loaded", posted.GetProperty("status").GetString());
        Assert.Equal(TraceId, (await host.Http.GetFromJsonAsync<JsonElement>($"/uploads/{posted.GetProperty("upload_id").GetString()}")).GetProperty("trace_id").GetString());
    }

    [Fact]
    public async Task The_OpenAPI_document_describes_trace_id_on_the_upload()
    {
        using var host = new TarmacHost();

        var doc = await host.Http.GetFromJsonAsync<JsonElement>("/openapi.json");
        var trace = doc.GetProperty("components").GetProperty("schemas").GetProperty("UploadView").GetProperty("properties").GetProperty("trace_id");
        Assert.Contains("string", trace.GetProperty("type").ToString(), StringComparison.Ordinal);
    }
}
