using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Integrity;

/// <summary>
/// Issue 13, defect 5: a duplicate POST stores its bytes before the ledger recognises them; that copy is deleted, and
/// never the object of an accepted upload.
/// </summary>
public class DuplicateObjectTests
{
    // Through the host's store: small objects live in segment files, not one file each.
    private static string[] RawObjects(TarmacHost host) =>
        [.. host.Services.GetRequiredService<IObjectStore>().ListAsync("raw/", default).ToBlockingEnumerable().Select(o => o.Name)];

    private static long CountRows(TarmacHost host)
    {
        using var c = host.Services.GetRequiredService<DuckDbDatabase>().Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM flights";
        return Convert.ToInt64(cmd.ExecuteScalar());
    }

    [Fact]
    public async Task Duplicate_posts_leave_only_the_original_object()
    {
        using var host = new TarmacHost();
        var first = await (await host.PostCsvAsync("/upload?wait=true", SampleData.SeedCsv)).Content.ReadFromJsonAsync<JsonElement>();
        // Sequential and concurrent duplicates: each stored a full copy before the ledger answered "duplicate".
        var again = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => host.PostCsvAsync("/upload", SampleData.SeedCsv)));
        var docs = await Task.WhenAll(again.Select(r => r.Content.ReadFromJsonAsync<JsonElement>()));

        Assert.All(again, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.All(docs, d => Assert.Equal((first.GetProperty("upload_id").GetString(), true), (d.GetProperty("upload_id").GetString(), d.GetProperty("duplicate").GetBoolean())));
        Assert.Equal([first.GetProperty("object").GetString()!], RawObjects(host));
        await using (var s = await host.Services.GetRequiredService<IObjectStore>().OpenReadAsync(first.GetProperty("object").GetString()!, default))
            Assert.Equal(SampleData.SeedCsv, await new StreamReader(s).ReadToEndAsync());
        Assert.Equal(7, CountRows(host));
    }

    [Fact]
    public async Task Concurrent_first_posts_of_the_same_bytes_keep_exactly_the_object_of_the_upload_that_won()
    {
        using var host = new TarmacHost();
        var posts = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => host.PostCsvAsync("/upload?wait=true", SampleData.SeedCsv)));
        var docs = await Task.WhenAll(posts.Select(r => r.Content.ReadFromJsonAsync<JsonElement>()));

        var winner = Assert.Single(docs.Select(d => (d.GetProperty("upload_id").GetString(), d.GetProperty("object").GetString())).Distinct());
        Assert.Single(docs, d => !d.GetProperty("duplicate").GetBoolean());
        Assert.Equal([winner.Item2!], RawObjects(host));
        Assert.Equal("loaded", (await host.WaitForOutcomeAsync(winner.Item1!)).GetProperty("status").GetString());
        Assert.Equal(7, CountRows(host));
    }

    [Fact]
    public async Task A_crash_between_storing_a_duplicate_and_deleting_it_leaves_a_stray_that_recovery_deletes()
    {
        var dataDir = TempDirs.Create("tarmac-data");
        string original;
        using (var host = new TarmacHost(dataDir))
        {
            original = (await (await host.PostCsvAsync("/upload?wait=true", SampleData.SeedCsv)).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upload_id").GetString()!;
        }
        // What the crash leaves: the duplicate's object, never registered, not yet deleted.
        var strayName = UploadIds.ObjectName("flights", UploadIds.New(), DateTimeOffset.UtcNow);
        using (var stray = new FileSystemObjectStore(Path.Combine(dataDir, "bucket")))
            await stray.CreateAsync(strayName, new MemoryStream(Encoding.UTF8.GetBytes(SampleData.SeedCsv)), null, default);

        using var after = new TarmacHost(dataDir);
        // The same bytes posted after the restart are a duplicate too, answered once recovery has run (it registers
        // nothing new for the stray: the rows stay exactly once).
        var again = await (await after.PostCsvAsync("/upload?wait=true", SampleData.SeedCsv)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((original, true, "loaded"), (again.GetProperty("upload_id").GetString(), again.GetProperty("duplicate").GetBoolean(), again.GetProperty("status").GetString()));
        var upload = await after.WaitForOutcomeAsync(original);
        Assert.Equal(("loaded", 7L), (upload.GetProperty("status").GetString(), upload.GetProperty("rows_loaded").GetInt64()));
        // The stray is gone: the bytes are kept once, in the object the upload points to.
        Assert.Equal([upload.GetProperty("object").GetString()!], RawObjects(after));
        Assert.Equal(7, CountRows(after));
    }
}
