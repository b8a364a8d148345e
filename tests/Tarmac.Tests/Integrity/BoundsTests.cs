using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Integrity;

/// <summary>Issue 13, defects 5 and 6: bounded answers to hostile input, a start that survives torn metadata, synced folders.</summary>
public class BoundsTests
{
    [Fact]
    public async Task A_header_of_sixty_thousand_commas_gets_a_short_problem()
    {
        using var host = new TarmacHost();
        var response = await host.PostCsvAsync("/upload", "id" + new string(',', 60_000) + "\n1\n");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.True(detail.Length < 1500, $"detail is {detail.Length} characters long");
        Assert.Contains("and 59990 more", detail);
    }

    [Fact]
    public async Task Control_characters_in_a_column_name_are_escaped_in_the_problem()
    {
        using var host = new TarmacHost();
        var response = await host.PostCsvAsync("/upload", "id,\"evil\u001b[2J\rname\"\n1,2\n");
        var detail = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
        Assert.Contains("evil\\u001b[2J\\u000dname", detail);
        Assert.DoesNotContain('\u001b', detail);
    }

    [Fact]
    public async Task A_truncated_metadata_sidecar_does_not_stop_the_host()
    {
        var dataDir = TempDirs.Create("tarmac-data");
        var bucket = Path.Combine(dataDir, "bucket");
        // Sidecars are for objects with their own file (a segment keeps metadata in its record).
        var store = new FileSystemObjectStore(bucket, segmentMaxObjectBytes: 0);
        var id = UploadIds.New();
        var name = UploadIds.ObjectName("flights", id, DateTimeOffset.UtcNow);
        await store.CreateAsync(name, new MemoryStream(Encoding.UTF8.GetBytes(SampleData.SeedCsv)), null, default);
        // What a crash mid-write leaves of a sidecar (used where the file system has no extended attributes).
        var sidecar = Path.Combine(bucket, ".meta", name + ".json");
        Directory.CreateDirectory(Path.GetDirectoryName(sidecar)!);
        await File.WriteAllTextAsync(sidecar, "{\"upload_id\":\"" + id[..5]);
        store.Dispose();

        using var host = new TarmacHost(dataDir);
        // The startup scan registers the orphan in the background: until then its status is 404.
        using var known = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            using var probe = await host.Http.GetAsync($"/uploads/{id}", known.Token);
            if (probe.StatusCode != System.Net.HttpStatusCode.NotFound) break;
            await Task.Delay(20, known.Token); // polling a status, not waiting for time to pass
        }
        var doc = await host.WaitForOutcomeAsync(id, TimeSpan.FromSeconds(30));
        Assert.Equal(("loaded", 7L), (doc.GetProperty("status").GetString(), doc.GetProperty("rows_loaded").GetInt64()));
    }

    [Fact]
    public async Task The_folder_of_a_new_object_and_every_new_folder_are_synced()
    {
        var root = TempDirs.Create("bucket");
        var synced = new List<string>();
        void Record(string path) { if (path.StartsWith(root, StringComparison.Ordinal)) lock (synced) synced.Add(path); }
        DirectorySync.Synced += Record;
        try
        {
            using var store = new FileSystemObjectStore(root, segmentMaxObjectBytes: 0);
            await store.CreateAsync("raw/flights/2026-12-01/a.csv", new MemoryStream("x"u8.ToArray()), null, default);
        }
        finally
        {
            DirectorySync.Synced -= Record;
        }
        var full = Path.GetFullPath(root);
        // Each created folder's parent (raw, flights, the day), then the day folder again after the rename.
        Assert.Equal(
            [full, Path.Combine(full, "raw"), Path.Combine(full, "raw", "flights"), Path.Combine(full, "raw", "flights", "2026-12-01")],
            synced.Distinct().ToList());
        Assert.Equal(Path.Combine(full, "raw", "flights", "2026-12-01"), synced[^1]);
    }

    [Fact]
    public async Task A_new_segment_file_syncs_its_folder_once_and_appends_to_it_sync_no_folder()
    {
        var root = TempDirs.Create("bucket");
        var synced = new List<string>();
        void Record(string path) { if (path.StartsWith(root, StringComparison.Ordinal)) lock (synced) synced.Add(path); }
        DirectorySync.Synced += Record;
        try
        {
            using var store = new FileSystemObjectStore(root);
            for (var i = 0; i < 10; i++)
                await store.CreateAsync($"raw/flights/2026-12-01/{i}.csv", new MemoryStream("x"u8.ToArray()), null, default);
            Assert.Equal(10, store.Segments.Flushes);
        }
        finally
        {
            DirectorySync.Synced -= Record;
        }
        var full = Path.GetFullPath(root);
        // The bucket folder gains .segments, .segments gains the segment file; the ten appends change no folder.
        Assert.Equal([full, Path.Combine(full, ".segments")], synced);
    }
}

/// <summary>Issue 13, defect 5: the JSON body of POST /uploads is bounded.</summary>
public class TicketBodyLimitTests
{
    [Fact]
    public async Task A_huge_json_body_for_a_large_upload_ticket_is_413()
    {
        using var host = new TarmacHost();
        var json = "{\"dataset\":\"flights\",\"file_name\":\"" + new string('a', 1 << 20) + "\"}";
        using var response = await host.Http.PostAsync("/uploads", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }
}

/// <summary>Issue 13, defect 5: ?wait=true waiters have a ceiling; beyond it the stored upload is answered 202 at once.</summary>
public class WaiterCeilingTests
{
    [Fact]
    public async Task Over_the_waiter_ceiling_a_wait_is_answered_202_with_the_status_url()
    {
        using var host = new TarmacHost(settings: new Dictionary<string, string?> { ["TARMAC_MAX_WAITERS"] = "0" });
        using var response = await host.PostCsvAsync("/upload?wait=true", SampleData.SeedCsv);
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upload_id").GetString()!;
        Assert.Equal($"/uploads/{id}", response.Headers.Location?.OriginalString);
        // Nothing is lost by not waiting: the upload loads as any other.
        Assert.Equal("loaded", (await host.WaitForOutcomeAsync(id)).GetProperty("status").GetString());
    }
}
