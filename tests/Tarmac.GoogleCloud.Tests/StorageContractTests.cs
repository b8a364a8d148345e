using System.Text;
using Tarmac.Core.Ports;

namespace Tarmac.GoogleCloud.Tests;

/// <summary>The Cloud Storage adapter against the fake's JSON API, through STORAGE_EMULATOR_HOST.</summary>
public sealed class StorageContractTests : IAsyncLifetime
{
    private readonly FakeGoogleCloud _fake = new();
    private GcsObjectStore _store = null!;

    public Task InitializeAsync()
    {
        var options = new GoogleCloudOptions { StorageEmulatorHost = _fake.BaseUrl.Replace("http://", "", StringComparison.Ordinal) };
        _store = new GcsObjectStore(GcsObjectStore.CreateClient(options), "b1");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task Create_streams_the_bytes_create_only_with_metadata()
    {
        var data = Encoding.UTF8.GetBytes("a,b\n1,2\n");
        var stored = await _store.CreateAsync("raw/x/1.csv", new MemoryStream(data), new Dictionary<string, string> { ["upload_id"] = "u1" }, default);

        Assert.Equal("raw/x/1.csv", stored.Name);
        Assert.Equal(data.Length, stored.Size);
        Assert.True(stored.Generation > 0);
        Assert.Equal(data, _fake.ObjectBytes("b1", "raw/x/1.csv"));
        Assert.Equal("u1", _fake.ObjectMetadata("b1", "raw/x/1.csv")!["upload_id"]);
        var start = Assert.Single(_fake.RequestsTo("POST", "/upload/storage/v1/b/b1/o"));
        Assert.Contains("uploadType=resumable", start.Query, StringComparison.Ordinal);
        Assert.Contains("ifGenerationMatch=0", start.Query, StringComparison.Ordinal);
        Assert.False(start.Headers.ContainsKey("authorization")); // emulator: unauthenticated
    }

    [Fact]
    public async Task Create_on_a_taken_name_throws_ObjectAlreadyExists_and_keeps_the_first_bytes()
    {
        await _store.CreateAsync("raw/x/2.csv", new MemoryStream("first"u8.ToArray()), null, default);
        var e = await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => _store.CreateAsync("raw/x/2.csv", new MemoryStream("second"u8.ToArray()), null, default));
        Assert.Equal("raw/x/2.csv", e.ObjectName);
        Assert.Equal("first"u8.ToArray(), _fake.ObjectBytes("b1", "raw/x/2.csv"));
    }

    [Fact]
    public async Task Create_streams_a_file_larger_than_one_upload_chunk()
    {
        var data = new byte[(12 << 20) + 123]; // the library sends 10 MiB chunks: two PUTs, the first answered 308
        new Random(7).NextBytes(data);
        var stored = await _store.CreateAsync("loads/big.ndjson", new NonSeekable(data), null, default);
        Assert.Equal(data.Length, stored.Size);
        Assert.Equal(data, _fake.ObjectBytes("b1", "loads/big.ndjson"));
        Assert.True(_fake.RequestsTo("PUT", "/upload/storage/v1/b/b1/o").Count() >= 2);
    }

    [Fact]
    public async Task Delete_removes_only_the_named_generation_and_a_missing_object_is_already_gone()
    {
        var created = await _store.CreateAsync("raw/x/dup.csv", new MemoryStream("a\n1\n"u8.ToArray()), null, default);

        Assert.False(await _store.DeleteAsync("raw/x/dup.csv", created.Generation + 1, default)); // 412: not ours, kept
        Assert.NotNull(_fake.ObjectBytes("b1", "raw/x/dup.csv"));
        Assert.True(await _store.DeleteAsync("raw/x/dup.csv", created.Generation, default));
        Assert.Null(await _store.GetAsync("raw/x/dup.csv", default));
        Assert.False(await _store.DeleteAsync("raw/x/dup.csv", created.Generation, default)); // 404: already gone
        Assert.Equal([$"?ifGenerationMatch={created.Generation + 1}", $"?ifGenerationMatch={created.Generation}", $"?ifGenerationMatch={created.Generation}"],
            _fake.RequestsTo("DELETE", "/storage/v1/b/b1/o/raw/x/dup.csv").Select(r => r.Query));
    }

    [Fact]
    public async Task Get_read_and_list()
    {
        var g1 = _fake.PutObject("b1", "raw/flights/2026-11-28/a.csv", "x,y\n"u8.ToArray(), new() { ["file_name"] = "a.csv" });
        _fake.PutObject("b1", "raw/flights/2026-11-29/b.csv", "z\n"u8.ToArray());
        _fake.PutObject("b1", "claims/flights/abc", "id"u8.ToArray());

        var got = await _store.GetAsync("raw/flights/2026-11-28/a.csv", default);
        Assert.Equal(new StoredObject("raw/flights/2026-11-28/a.csv", g1, 4, got!.Metadata), got);
        Assert.Equal("a.csv", got.Metadata["file_name"]);
        Assert.Null(await _store.GetAsync("raw/missing.csv", default));

        await using (var s = await _store.OpenReadAsync("raw/flights/2026-11-28/a.csv", default))
        using (var r = new StreamReader(s))
            Assert.Equal("x,y\n", await r.ReadToEndAsync());
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => _store.OpenReadAsync("raw/missing.csv", default));

        var names = new List<string>();
        await foreach (var o in _store.ListAsync("raw/flights/", default)) names.Add(o.Name);
        Assert.Equal(["raw/flights/2026-11-28/a.csv", "raw/flights/2026-11-29/b.csv"], names);
    }

    [Fact]
    public async Task Storage_5xx_and_429_are_transient_failures_and_other_errors_are_not()
    {
        _fake.PutObject("b1", "raw/x/t.csv", "x"u8.ToArray());
        _fake.Fail("GET", "/storage/v1/b/b1/o/raw/x/t.csv", 503, times: 10);
        await Assert.ThrowsAsync<TransientFailureException>(() => _store.GetAsync("raw/x/t.csv", default));
        _fake.PutObject("b1", "raw/x/u.csv", "x"u8.ToArray());
        _fake.Fail("GET", "/storage/v1/b/b1/o/raw/x/u.csv", 403, times: 1, reason: "forbidden");
        var e = await Assert.ThrowsAnyAsync<Exception>(() => _store.OpenReadAsync("raw/x/u.csv", default));
        Assert.IsNotType<TransientFailureException>(e);
    }

    private sealed class NonSeekable(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
    }
}
