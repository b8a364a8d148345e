using System.Net;
using System.Text;
using System.Text.Json;
using Google;
using Google.Cloud.Storage.V1;
using Tarmac.CloudSimulation.StandIn;
using GcsObject = Google.Apis.Storage.v1.Data.Object;

namespace Tarmac.CloudSimulation;

/// <summary>
/// The Cloud Storage stand-in behaves as Google documents it, driven by the same client library Tarmac uses
/// (<c>Google.Cloud.Storage.V1</c> against <c>STORAGE_EMULATOR_HOST</c>) and by raw JSON API calls.
/// </summary>
public sealed class StorageStandInTests : IAsyncLifetime
{
    private const string Bucket = "b1";
    private readonly CloudStandIn _standIn = new();
    private StorageClient _client = null!;
    private readonly HttpClient _http = new();

    public Task InitializeAsync()
    {
        _client = new StorageClientBuilder { BaseUri = _standIn.BaseUrl + "/storage/v1/", UnauthenticatedAccess = true }.Build();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        _client.Dispose();
        await _standIn.DisposeAsync();
    }

    private Task<GcsObject> Upload(string name, string text, long? ifGenerationMatch) =>
        _client.UploadObjectAsync(new GcsObject { Bucket = Bucket, Name = name, ContentType = "application/json" },
            new MemoryStream(Encoding.UTF8.GetBytes(text)), new UploadObjectOptions { IfGenerationMatch = ifGenerationMatch });

    // https://cloud.google.com/storage/docs/request-preconditions: ifGenerationMatch=0 succeeds only if no live object exists.
    [Fact]
    public async Task A_create_only_write_of_a_taken_name_answers_412_and_leaves_the_object_unchanged()
    {
        var first = await Upload("state/uploads/u1.json", "{\"v\":1}", ifGenerationMatch: 0);

        var e = await Assert.ThrowsAsync<GoogleApiException>(() => Upload("state/uploads/u1.json", "{\"v\":2}", ifGenerationMatch: 0));

        Assert.Equal(HttpStatusCode.PreconditionFailed, e.HttpStatusCode);
        var live = _standIn.Storage.Get(Bucket, "state/uploads/u1.json")!;
        Assert.Equal("{\"v\":1}", live.Text);
        Assert.Equal(first.Generation, live.Generation);
    }

    // Compare-and-set: ifGenerationMatch=N writes only over generation N (same page).
    [Fact]
    public async Task Compare_and_set_succeeds_on_the_current_generation_and_answers_412_on_a_stale_one()
    {
        var v1 = await Upload("state/uploads/u2.json", "{\"v\":1}", 0);
        var v2 = await Upload("state/uploads/u2.json", "{\"v\":2}", v1.Generation);
        Assert.NotEqual(v1.Generation, v2.Generation);

        var stale = await Assert.ThrowsAsync<GoogleApiException>(() => Upload("state/uploads/u2.json", "{\"v\":3}", v1.Generation));

        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.HttpStatusCode);
        Assert.Equal("{\"v\":2}", _standIn.Storage.Get(Bucket, "state/uploads/u2.json")!.Text);
    }

    // https://cloud.google.com/storage/docs/consistency: read-after-write, read-after-delete and listing are strongly consistent.
    [Fact]
    public async Task Reads_and_lists_see_a_write_and_a_delete_as_soon_as_they_are_answered()
    {
        var created = await Upload("state/open/u3", "", 0);

        var got = await _client.GetObjectAsync(Bucket, "state/open/u3");
        var listed = await _client.ListObjectsAsync(Bucket, "state/open/").ToListAsync();
        using var media = new MemoryStream();
        await _client.DownloadObjectAsync(Bucket, "state/open/u3", media); // the library checks the stand-in's crc32c

        Assert.Equal(created.Generation, got.Generation);
        Assert.Equal(["state/open/u3"], listed.Select(o => o.Name));
        await _client.DeleteObjectAsync(Bucket, "state/open/u3", new DeleteObjectOptions { IfGenerationMatch = created.Generation });
        var gone = await Assert.ThrowsAsync<GoogleApiException>(() => _client.GetObjectAsync(Bucket, "state/open/u3"));
        Assert.Equal(HttpStatusCode.NotFound, gone.HttpStatusCode);
        Assert.Empty(await _client.ListObjectsAsync(Bucket, "state/open/").ToListAsync());
    }

    [Fact]
    public async Task Delete_with_a_stale_generation_answers_412_and_keeps_the_object()
    {
        var v1 = await Upload("state/flush/flights.json", "{}", 0);
        var v2 = await Upload("state/flush/flights.json", "{\"lease\":1}", v1.Generation);

        var e = await Assert.ThrowsAsync<GoogleApiException>(() =>
            _client.DeleteObjectAsync(Bucket, "state/flush/flights.json", new DeleteObjectOptions { IfGenerationMatch = v1.Generation }));

        Assert.Equal(HttpStatusCode.PreconditionFailed, e.HttpStatusCode);
        Assert.Equal(v2.Generation, _standIn.Storage.Get(Bucket, "state/flush/flights.json")!.Generation);
    }

    [Fact]
    public async Task Listing_rolls_up_names_at_the_delimiter_and_pages_with_maxResults_and_pageToken()
    {
        foreach (var n in new[] { "state/pending/flights/a", "state/pending/flights/b", "state/pending/flights/c", "state/pending/other/x", "state/open/y" })
            _standIn.Storage.Put(Bucket, n, []);

        var top = await ListAsync($"prefix=state/&delimiter=/");
        Assert.Equal(["state/open/", "state/pending/"], top.GetProperty("prefixes").EnumerateArray().Select(p => p.GetString()));
        Assert.Empty(top.GetProperty("items").EnumerateArray());

        var page1 = await ListAsync("prefix=state/pending/flights/&maxResults=2");
        var page2 = await ListAsync($"prefix=state/pending/flights/&maxResults=2&pageToken={page1.GetProperty("nextPageToken").GetString()}");
        Assert.Equal(["state/pending/flights/a", "state/pending/flights/b"], page1.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        Assert.Equal(["state/pending/flights/c"], page2.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("name").GetString()));
        Assert.False(page2.TryGetProperty("nextPageToken", out _));
        // The client library follows the tokens itself.
        Assert.Equal(3, (await _client.ListObjectsAsync(Bucket, "state/pending/flights/", new ListObjectsOptions { PageSize = 1 }).ToListAsync()).Count);
    }

    [Fact]
    public async Task Multipart_and_media_uploads_honour_preconditions_too()
    {
        using var multipart = new MultipartContent("related", "b0undary");
        multipart.Add(new StringContent("""{"name":"claims/flights/abc","metadata":{"upload_id":"u9"}}""", Encoding.UTF8, "application/json"));
        multipart.Add(new StringContent("u9", Encoding.UTF8, "text/plain"));
        using var created = await _http.PostAsync($"{_standIn.BaseUrl}/upload/storage/v1/b/{Bucket}/o?uploadType=multipart&ifGenerationMatch=0", multipart);
        Assert.True(created.StatusCode == HttpStatusCode.OK, await created.Content.ReadAsStringAsync());
        Assert.Equal("u9", _standIn.Storage.Get(Bucket, "claims/flights/abc")!.Metadata["upload_id"]);

        using var taken = await _http.PostAsync($"{_standIn.BaseUrl}/upload/storage/v1/b/{Bucket}/o?uploadType=media&name=claims/flights/abc&ifGenerationMatch=0",
            new StringContent("other", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.PreconditionFailed, taken.StatusCode);
        Assert.Equal("conditionNotMet", JsonDocument.Parse(await taken.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetProperty("errors")[0].GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Get_with_ifGenerationNotMatch_of_the_live_generation_answers_304()
    {
        var blob = _standIn.Storage.Put(Bucket, "state/uploads/u5.json", "{}"u8.ToArray());
        using var response = await _http.GetAsync($"{_standIn.BaseUrl}/storage/v1/b/{Bucket}/o/{Uri.EscapeDataString(blob.Name)}?ifGenerationNotMatch={blob.Generation}");
        Assert.Equal(HttpStatusCode.NotModified, response.StatusCode);
    }

    // 429/5xx come in bursts; the client library retries them (https://cloud.google.com/storage/docs/retry-strategy).
    [Fact]
    public async Task A_burst_of_503s_on_reads_is_retried_through_by_the_client_library()
    {
        _standIn.Storage.Put(Bucket, "raw/flights/x.csv", "a,b\n"u8.ToArray());
        _standIn.Faults.FailNext("storage.get", 503, times: 2);

        var got = await _client.GetObjectAsync(Bucket, "raw/flights/x.csv");

        Assert.Equal("raw/flights/x.csv", got.Name);
        Assert.Equal(2, _standIn.Faults.Injected["storage.get"]);
        Assert.Equal([503, 503, 200], _standIn.Exchanges.Where(e => e.Route == "storage.get").Select(e => e.Status));
    }

    [Fact]
    public async Task A_slow_route_answers_late_but_right_and_a_client_deadline_shorter_than_it_gives_up()
    {
        _standIn.Storage.Put(Bucket, "raw/flights/slow.csv", "a\n"u8.ToArray());
        _standIn.Faults.Slow("storage.get", TimeSpan.FromSeconds(2));
        var url = $"{_standIn.BaseUrl}/storage/v1/b/{Bucket}/o/{Uri.EscapeDataString("raw/flights/slow.csv")}?alt=media";
        using var impatient = new HttpClient { Timeout = TimeSpan.FromMilliseconds(200) };

        await Assert.ThrowsAsync<TaskCanceledException>(() => impatient.GetAsync(url));
        using var patient = await _http.GetAsync(url);

        Assert.Equal("a\n", await patient.Content.ReadAsStringAsync());
    }

    private async Task<JsonElement> ListAsync(string query)
    {
        using var response = await _http.GetAsync($"{_standIn.BaseUrl}/storage/v1/b/{Bucket}/o?{query}");
        response.EnsureSuccessStatusCode();
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }
}
