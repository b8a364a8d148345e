using System.Text;
using Tarmac.Core.Ports;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Embedded;

public class FileSystemObjectStoreTests
{
    private readonly FileSystemObjectStore _store = new(TempDirs.Create("bucket"));

    private static MemoryStream Bytes(string s) => new(Encoding.UTF8.GetBytes(s));

    [Fact]
    public async Task An_existing_name_is_never_overwritten()
    {
        await _store.CreateAsync("raw/a.csv", Bytes("first"), null, default);
        await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => _store.CreateAsync("raw/a.csv", Bytes("second"), null, default));
        await using var s = await _store.OpenReadAsync("raw/a.csv", default);
        Assert.Equal("first", await new StreamReader(s).ReadToEndAsync());
    }

    [Fact]
    public async Task A_write_that_fails_midway_leaves_no_object()
    {
        await Assert.ThrowsAsync<IOException>(() => _store.CreateAsync("raw/b.csv", new FailingStream(), null, default));
        Assert.Null(await _store.GetAsync("raw/b.csv", default));
        Assert.Empty(await _store.ListAsync("", default).ToListAsync());
    }

    [Fact]
    public async Task Metadata_size_and_listing_round_trip()
    {
        await _store.CreateAsync("raw/x/1.csv", Bytes("abc"), new Dictionary<string, string> { ["file_name"] = "f.csv" }, default);
        await _store.CreateAsync("other/2.csv", Bytes("de"), null, default);
        var listed = await _store.ListAsync("raw/", default).ToListAsync();
        var only = Assert.Single(listed);
        Assert.Equal(("raw/x/1.csv", 3L, "f.csv"), (only.Name, only.Size, only.Metadata["file_name"]));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => _store.OpenReadAsync("raw/missing.csv", default));
    }

    [Fact]
    public async Task Delete_removes_only_the_generation_it_names()
    {
        var created = await _store.CreateAsync("raw/d/1.csv", Bytes("abc"), new Dictionary<string, string> { ["file_name"] = "f.csv" }, default);

        Assert.False(await _store.DeleteAsync("raw/d/1.csv", created.Generation + 1, default));
        Assert.NotNull(await _store.GetAsync("raw/d/1.csv", default));
        Assert.True(await _store.DeleteAsync("raw/d/1.csv", created.Generation, default));
        Assert.Null(await _store.GetAsync("raw/d/1.csv", default));
        Assert.False(await _store.DeleteAsync("raw/d/1.csv", created.Generation, default)); // already gone
        Assert.Empty(await _store.ListAsync("raw/", default).ToListAsync());
    }

    [Fact]
    public async Task Listing_a_prefix_walks_only_its_folder_and_keeps_name_order()
    {
        await _store.CreateAsync("raw/a/2026-12-01/2.csv", Bytes("x"), null, default);
        await _store.CreateAsync("raw/a/2026-12-01/1.csv", Bytes("x"), null, default);
        await _store.CreateAsync("raw/a/2026-12-02/3.csv", Bytes("x"), null, default);
        await _store.CreateAsync("raw/ab/2026-12-01/4.csv", Bytes("x"), null, default);

        Assert.Equal(["raw/a/2026-12-01/1.csv", "raw/a/2026-12-01/2.csv"], (await _store.ListAsync("raw/a/2026-12-01/", default).ToListAsync()).Select(o => o.Name));
        Assert.Equal(["raw/a/2026-12-01/1.csv", "raw/a/2026-12-01/2.csv", "raw/a/2026-12-02/3.csv"], (await _store.ListAsync("raw/a/", default).ToListAsync()).Select(o => o.Name));
        Assert.Equal(4, (await _store.ListAsync("raw/a", default).ToListAsync()).Count);
        Assert.Empty(await _store.ListAsync("raw/none/", default).ToListAsync());
    }

    [Theory]
    [InlineData("../escape.csv")]
    [InlineData("raw/../../escape.csv")]
    [InlineData("/etc/passwd")]
    public async Task Names_that_leave_the_bucket_are_refused(string name)
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.CreateAsync(name, Bytes("x"), null, default));
        // Reads look in the segment index first (only names checked at store are in it), and still refuse the rest.
        await Assert.ThrowsAsync<ArgumentException>(() => _store.OpenReadAsync(name, default));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.GetAsync(name, default));
    }

    private sealed class FailingStream : Stream
    {
        private int _reads;
        public override int Read(byte[] buffer, int offset, int count) => _reads++ == 0 ? Fill(buffer, offset) : throw new IOException("connection reset");
        private static int Fill(byte[] b, int o) { b[o] = (byte)'x'; return 1; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => 0; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
