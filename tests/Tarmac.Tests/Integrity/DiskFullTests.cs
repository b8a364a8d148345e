using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Ports;
using Tarmac.Testing;

namespace Tarmac.Tests.Integrity;

/// <summary>
/// Issue 13, defect 7: an upload that cannot be stored for want of space gets a 507 problem and leaves nothing behind, the
/// warehouse stays readable, and uploads work again once there is space.
/// </summary>
public class DiskFullTests
{
    /// <summary>The bucket, with writes that fail as a full disk fails them while <see cref="Full"/> is set.</summary>
    private sealed class FillingStore(IObjectStore inner) : IObjectStore
    {
        public volatile bool Full;
        public string Bucket => inner.Bucket;
        public Task<StoredObject> CreateAsync(string name, Stream content, IReadOnlyDictionary<string, string>? metadata, CancellationToken ct) =>
            inner.CreateAsync(name, Full ? new NoSpaceAfter(content, 100) : content, metadata, ct);
        public Task<Stream> OpenReadAsync(string name, CancellationToken ct) => inner.OpenReadAsync(name, ct);
        public Task<StoredObject?> GetAsync(string name, CancellationToken ct) => inner.GetAsync(name, ct);
        public Task<bool> DeleteAsync(string name, long generation, CancellationToken ct) => inner.DeleteAsync(name, generation, ct);
        public IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken ct) => inner.ListAsync(prefix, ct);
    }

    /// <summary>Passes <paramref name="limit"/> bytes through, then fails as write(2) does with ENOSPC.</summary>
    private sealed class NoSpaceAfter(Stream inner, int limit) : Stream
    {
        private int _passed;
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            if (_passed >= limit) throw new IOException("No space left on device", 28);
            var n = await inner.ReadAsync(buffer[..Math.Min(buffer.Length, limit - _passed)], ct);
            _passed += n;
            return n;
        }
        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => _passed; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    private static async Task AssertFullThenRecoversAsync(HttpClient http, string bucket, Action makeSpace, string csv)
    {
        var refused = await http.PostAsync("/upload", new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.InsufficientStorage, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Contains("no space left", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString());
        // No partial object, no leftover temp file.
        Assert.Empty(Directory.EnumerateFiles(bucket, "*", SearchOption.AllDirectories));
        // The warehouse still answers.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/getdata")).StatusCode);

        makeSpace();
        var ok = await http.PostAsync("/upload?wait=true", new StringContent(csv, Encoding.UTF8, "text/csv"));
        var doc = await ok.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("loaded", false), (doc.GetProperty("status").GetString(), doc.GetProperty("duplicate").GetBoolean()));
    }

    [Fact]
    public async Task Injected_write_failures_give_507_and_nothing_is_kept()
    {
        using var host = new TarmacHost(services: s => TestStores.Wrap(s, inner => new FillingStore(inner)));
        var store = (FillingStore)host.Services.GetRequiredService<IObjectStore>();
        store.Full = true;
        await AssertFullThenRecoversAsync(host.Http, Path.Combine(host.DataDir, "bucket"), () => store.Full = false, SampleData.SeedCsv);
    }

    [SkippableFact]
    public async Task A_real_full_file_system_gives_507_and_works_again_when_space_returns()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "needs Linux tmpfs");
        var mount = TempDirs.Create("tarmac-small-fs");
        Skip.IfNot(Run("mount", $"-t tmpfs -o size=24m tmpfs {mount}"), "cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN)");
        try
        {
            using (var host = new TarmacHost(mount))
            {
                // Fill the file system with a ballast file, leaving less than the upload needs.
                var ballast = Path.Combine(mount, "ballast");
                var free = new DriveInfo(mount).AvailableFreeSpace;
                await File.WriteAllBytesAsync(ballast, new byte[Math.Max(0, free - (256 << 10))]);
                var parts = SampleData.SeedCsv.TrimEnd('\n').Split('\n', 2);
                var big = parts[0] + "\n" + string.Concat(Enumerable.Repeat(parts[1] + "\n", 3000));
                await AssertFullThenRecoversAsync(host.Http, Path.Combine(mount, "bucket"), () => File.Delete(ballast), big);
            }
        }
        finally
        {
            Run("umount", $"-l {mount}"); // lazy: a file the host left open must not keep the mount alive
        }
    }

    private static bool Run(string file, string args)
    {
        try
        {
            using var p = System.Diagnostics.Process.Start(new ProcessStartInfo(file, args) { RedirectStandardError = true, RedirectStandardOutput = true });
            p!.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
