using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.Core.Datasets;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Integrity;

/// <summary>Issue 13, defect 4: exception types, paths and SQL stored for a failed upload never reach the client.</summary>
public class InternalDetailTests
{
    private const string Leaky = "DuckDBException: IO Error: Could not write file \"/srv/tarmac/data/warehouse.duckdb.wal\": SELECT * FROM uploads WHERE upload_id = 'x'";

    private static async Task<(string DataDir, string Leaky, string Traced)> FailedUploadsAsync()
    {
        var dataDir = TempDirs.Create("tarmac-data");
        var catalog = SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas"));
        using var db = new DuckDbDatabase(Path.Combine(dataDir, "warehouse.duckdb"), catalog);
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System);
        var ids = new List<string>();
        foreach (var (csv, reason) in new[] { (SampleData.SeedCsv, Leaky), (SampleData.SeedCsv + "\n", "trace_id=0123456789abcdef0123456789abcdef") })
        {
            var bytes = Encoding.UTF8.GetBytes(csv);
            var id = UploadIds.New();
            await ledger.RegisterAsync(new UploadRecord
            {
                UploadId = id, Dataset = "flights", Object = UploadIds.ObjectName("flights", id, DateTimeOffset.UtcNow), Bytes = bytes.Length,
                Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), Status = UploadStatus.Stored, ReceivedAt = DateTimeOffset.UtcNow,
            }, default);
            await ledger.MarkFailedAsync(id, reason, default);
            ids.Add(id);
        }
        return (dataDir, ids[0], ids[1]);
    }

    [Fact]
    public async Task The_public_error_is_a_stable_message_with_a_trace_id()
    {
        var (dataDir, leaky, traced) = await FailedUploadsAsync();
        using var host = new TarmacHost(dataDir);

        var doc = await host.Http.GetFromJsonAsync<JsonElement>($"/uploads/{leaky}");
        Assert.Equal("failed", doc.GetProperty("status").GetString());
        var error = doc.GetProperty("error").GetString()!;
        foreach (var secret in new[] { "DuckDB", "Exception", "/srv", "warehouse", "SELECT", "upload_id" })
            Assert.DoesNotContain(secret, error, StringComparison.OrdinalIgnoreCase);
        Assert.StartsWith("The upload could not be processed because of an internal error, not because of its data.", error);
        Assert.Matches("report trace id [^ ]+\\.$", error);

        var withTrace = await host.Http.GetFromJsonAsync<JsonElement>($"/uploads/{traced}");
        Assert.EndsWith("report trace id 0123456789abcdef0123456789abcdef.", withTrace.GetProperty("error").GetString());
    }
}
