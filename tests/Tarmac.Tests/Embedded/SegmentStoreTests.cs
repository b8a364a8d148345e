using System.Text;
using Tarmac.Core.Ports;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Embedded;

/// <summary>
/// Issue 14: small objects of the folder bucket go to shared, group-committed segment files, and stay readable by name
/// through <see cref="IObjectStore"/> like any other object, across restarts and crashes mid-append.
/// </summary>
public class SegmentStoreTests
{
    private const int Threshold = 64;
    private static readonly Dictionary<string, string> Meta = new() { ["upload_id"] = "u1", ["file_name"] = "f.csv" };
    private readonly string _root = TempDirs.Create("segments");

    private FileSystemObjectStore Open(int threshold = Threshold) => new(_root, segmentMaxObjectBytes: threshold);

    private static MemoryStream Bytes(string s) => new(Encoding.UTF8.GetBytes(s));

    private static async Task<string> ReadAsync(FileSystemObjectStore store, string name)
    {
        await using var s = await store.OpenReadAsync(name, default);
        return await new StreamReader(s).ReadToEndAsync();
    }

    private string SegmentFile() => Assert.Single(Directory.GetFiles(Path.Combine(_root, SegmentLog.Folder), "*.seg"));

    private bool HasOwnFile(string name) => File.Exists(Path.Combine(_root, name));

    [Fact]
    public async Task A_small_object_round_trips_through_a_segment_with_its_metadata()
    {
        using var store = Open();
        var created = await store.CreateAsync("raw/a/1.csv", Bytes("id,name\n1,x\n"), Meta, default);

        Assert.False(HasOwnFile("raw/a/1.csv"));
        Assert.Equal(1, store.Segments.Flushes);
        var got = await store.GetAsync("raw/a/1.csv", default);
        Assert.Equal((created.Generation, 12L, "f.csv", "u1"), (got!.Generation, got.Size, got.Metadata["file_name"], got.Metadata["upload_id"]));
        Assert.Equal("id,name\n1,x\n", await ReadAsync(store, "raw/a/1.csv"));
        Assert.Empty((await store.GetAsync("raw/a/1.csv", default))!.Metadata.Keys.Except(["file_name", "upload_id"]));
    }

    [Fact]
    public async Task The_threshold_is_inclusive_and_one_byte_over_gets_its_own_file()
    {
        using var store = Open();
        var at = new string('a', Threshold);
        var over = new string('b', Threshold + 1);
        await store.CreateAsync("raw/at.csv", Bytes(at), Meta, default);
        await store.CreateAsync("raw/over.csv", Bytes(over), Meta, default);

        Assert.False(HasOwnFile("raw/at.csv"));
        Assert.True(HasOwnFile("raw/over.csv"));
        Assert.Equal(at, await ReadAsync(store, "raw/at.csv"));
        Assert.Equal(over, await ReadAsync(store, "raw/over.csv"));
        Assert.Equal(("f.csv", (long)Threshold + 1), ((await store.GetAsync("raw/over.csv", default))!.Metadata["file_name"], (await store.GetAsync("raw/over.csv", default))!.Size));
        // A large body spills its buffered prefix and streams the rest: every byte arrives, in order.
        var big = string.Concat(Enumerable.Range(0, 20_000).Select(i => $"{i},"));
        await store.CreateAsync("raw/big.csv", Bytes(big), null, default);
        Assert.Equal(big, await ReadAsync(store, "raw/big.csv"));
    }

    [Fact]
    public async Task Names_are_create_only_across_segments_and_files()
    {
        using var store = Open();
        await store.CreateAsync("raw/s.csv", Bytes("small"), null, default);
        await store.CreateAsync("raw/f.csv", Bytes(new string('f', 100)), null, default);

        await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => store.CreateAsync("raw/s.csv", Bytes(new string('x', 100)), null, default));
        await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => store.CreateAsync("raw/s.csv", Bytes("tiny"), null, default));
        await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => store.CreateAsync("raw/f.csv", Bytes("tiny"), null, default));
        Assert.Equal("small", await ReadAsync(store, "raw/s.csv"));
        Assert.Equal(new string('f', 100), await ReadAsync(store, "raw/f.csv"));

        // Concurrent creates of one name: exactly one wins.
        var racers = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Task.Run(async () =>
        {
            try { await store.CreateAsync("raw/race.csv", Bytes(i % 2 == 0 ? $"r{i}" : new string('r', 100 + i)), null, default); return 1; }
            catch (ObjectAlreadyExistsException) { return 0; }
        })));
        Assert.Equal(1, racers.Sum());
    }

    [Fact]
    public async Task Delete_removes_only_its_generation_and_stays_deleted_after_a_restart()
    {
        var store = Open();
        var kept = await store.CreateAsync("raw/d/keep.csv", Bytes("keep"), null, default);
        var created = await store.CreateAsync("raw/d/1.csv", Bytes("abc"), Meta, default);

        Assert.False(await store.DeleteAsync("raw/d/1.csv", created.Generation + 1, default));
        Assert.NotNull(await store.GetAsync("raw/d/1.csv", default));
        Assert.True(await store.DeleteAsync("raw/d/1.csv", created.Generation, default));
        Assert.Null(await store.GetAsync("raw/d/1.csv", default));
        await Assert.ThrowsAsync<ObjectNotFoundException>(() => store.OpenReadAsync("raw/d/1.csv", default));
        Assert.False(await store.DeleteAsync("raw/d/1.csv", created.Generation, default));
        store.Dispose();

        using var reopened = Open();
        Assert.Null(await reopened.GetAsync("raw/d/1.csv", default));
        Assert.Equal(["raw/d/keep.csv"], (await reopened.ListAsync("raw/d/", default).ToListAsync()).Select(o => o.Name));
        Assert.Equal(kept.Generation, (await reopened.GetAsync("raw/d/keep.csv", default))!.Generation);
    }

    [Fact]
    public async Task Listing_merges_segment_entries_and_files_in_name_order()
    {
        using var store = Open();
        await store.CreateAsync("raw/a/2026-12-01/3.csv", Bytes("s"), null, default);
        await store.CreateAsync("raw/a/2026-12-01/1.csv", Bytes(new string('f', 100)), null, default);
        await store.CreateAsync("raw/a/2026-12-01/2.csv", Bytes("s"), null, default);
        await store.CreateAsync("raw/a/2026-12-01/4.csv", Bytes(new string('f', 100)), null, default);
        await store.CreateAsync("raw/a/2026-12-02/5.csv", Bytes("s"), null, default);
        await store.CreateAsync("raw/ab/2026-12-01/6.csv", Bytes("s"), null, default);

        Assert.Equal(["raw/a/2026-12-01/1.csv", "raw/a/2026-12-01/2.csv", "raw/a/2026-12-01/3.csv", "raw/a/2026-12-01/4.csv"],
            (await store.ListAsync("raw/a/2026-12-01/", default).ToListAsync()).Select(o => o.Name));
        Assert.Equal([100L, 1, 1, 100], (await store.ListAsync("raw/a/2026-12-01/", default).ToListAsync()).Select(o => o.Size));
        Assert.Equal(6, (await store.ListAsync("raw/a", default).ToListAsync()).Count);
        Assert.Equal(6, (await store.ListAsync("", default).ToListAsync()).Count); // the segment files themselves are not objects
        Assert.Empty(await store.ListAsync("raw/none/", default).ToListAsync());
    }

    [Fact]
    public async Task Reopening_rebuilds_the_index_and_new_appends_go_to_a_new_segment()
    {
        var names = Enumerable.Range(0, 50).Select(i => $"raw/r/{i:D3}.csv").ToList();
        var before = new Dictionary<string, long>();
        using (var store = Open())
            foreach (var name in names) before[name] = (await store.CreateAsync(name, Bytes("body of " + name), Meta, default)).Generation;

        using (var reopened = Open())
        {
            foreach (var name in names)
            {
                var got = await reopened.GetAsync(name, default);
                Assert.Equal((before[name], "u1"), (got!.Generation, got.Metadata["upload_id"]));
                Assert.Equal("body of " + name, await ReadAsync(reopened, name));
            }
            await Assert.ThrowsAsync<ObjectAlreadyExistsException>(() => reopened.CreateAsync(names[0], Bytes("again"), null, default));
            var later = await reopened.CreateAsync("raw/r/later.csv", Bytes("later"), null, default);
            Assert.True(later.Generation > before.Values.Max());
        }
        Assert.Equal(2, Directory.GetFiles(Path.Combine(_root, SegmentLog.Folder), "*.seg").Length);
        using var third = Open(threshold: 0);
        Assert.Equal(51, (await third.ListAsync("raw/r/", default).ToListAsync()).Count); // read even with segments off for new objects
    }

    [Fact]
    public async Task A_torn_last_record_is_cut_off_at_every_byte_and_the_records_before_it_stay()
    {
        long tornStart;
        using (var store = Open())
        {
            await store.CreateAsync("raw/t/1.csv", Bytes("first"), Meta, default);
            await store.CreateAsync("raw/t/2.csv", Bytes("second"), null, default);
            tornStart = new FileInfo(SegmentFile()).Length;
            await store.CreateAsync("raw/t/3.csv", Bytes("third,torn"), Meta, default);
        }
        var whole = await File.ReadAllBytesAsync(SegmentFile());
        Assert.True(whole.Length - tornStart > 40);

        for (var cut = tornStart; cut < whole.Length; cut++)
        {
            await File.WriteAllBytesAsync(SegmentFile(), whole.AsSpan(0, (int)cut).ToArray());
            using (var store = Open())
            {
                Assert.Null(await store.GetAsync("raw/t/3.csv", default));
                Assert.Equal("first", await ReadAsync(store, "raw/t/1.csv"));
                Assert.Equal("second", await ReadAsync(store, "raw/t/2.csv"));
                Assert.Equal((cut - tornStart, 0L), (store.Segments.TruncatedBytes, store.Segments.DamagedBytes));
            }
            Assert.Equal(tornStart, new FileInfo(SegmentFile()).Length);
        }
    }

    [Fact]
    public async Task A_cut_torn_tail_and_skipped_damage_are_logged_at_open()
    {
        using (var store = Open())
        {
            await store.CreateAsync("raw/l/1.csv", Bytes("one"), null, default);
            await store.CreateAsync("raw/l/2.csv", Bytes("two"), null, default);
        }
        var bytes = await File.ReadAllBytesAsync(SegmentFile());
        bytes[SegmentRecord.FileHeaderLength + SegmentRecord.HeaderLength + 12] ^= 1; // inside the first record's name
        await File.WriteAllBytesAsync(SegmentFile(), [.. bytes, .. new byte[10]]);

        var log = new LogLines();
        using var reopened = new FileSystemObjectStore(_root, segmentMaxObjectBytes: Threshold, logger: log);
        Assert.Contains(log.Lines, l => l.Contains("Cut 10 bytes of torn segment tail", StringComparison.Ordinal));
        Assert.Contains(log.Lines, l => l.Contains("damaged bytes between whole segment records", StringComparison.Ordinal));
        Assert.Equal("two", await ReadAsync(reopened, "raw/l/2.csv"));
    }

    [Fact]
    public async Task Zeros_after_the_last_record_are_a_torn_tail_too()
    {
        using (var store = Open()) await store.CreateAsync("raw/z/1.csv", Bytes("one"), null, default);
        var length = new FileInfo(SegmentFile()).Length;
        await using (var f = new FileStream(SegmentFile(), FileMode.Append)) f.Write(new byte[4096]);

        using var reopened = Open();
        Assert.Equal("one", await ReadAsync(reopened, "raw/z/1.csv"));
        Assert.Equal(length, new FileInfo(SegmentFile()).Length);
    }

    [Fact]
    public async Task A_record_with_a_bad_checksum_is_not_served_and_the_records_after_it_are()
    {
        long secondStart, thirdStart;
        using (var store = Open())
        {
            await store.CreateAsync("raw/c/1.csv", Bytes("one"), null, default);
            secondStart = new FileInfo(SegmentFile()).Length;
            await store.CreateAsync("raw/c/2.csv", Bytes("two-corrupted"), null, default);
            thirdStart = new FileInfo(SegmentFile()).Length;
            await store.CreateAsync("raw/c/3.csv", Bytes("three"), null, default);
        }
        var bytes = await File.ReadAllBytesAsync(SegmentFile());
        bytes[thirdStart - 8] ^= 0x20; // a body byte of the second record
        await File.WriteAllBytesAsync(SegmentFile(), bytes);

        using var reopened = Open();
        Assert.Null(await reopened.GetAsync("raw/c/2.csv", default));
        Assert.Equal("one", await ReadAsync(reopened, "raw/c/1.csv"));
        Assert.Equal("three", await ReadAsync(reopened, "raw/c/3.csv"));
        // Damage in the middle is not a torn tail: nothing is cut, the bytes stay for a person to look at.
        Assert.Equal((thirdStart - secondStart, 0L), (reopened.Segments.DamagedBytes, reopened.Segments.TruncatedBytes));
        Assert.Equal(bytes.Length, new FileInfo(SegmentFile()).Length);
    }

    [Fact]
    public async Task Concurrent_creates_share_one_flush_and_each_returns_only_after_its_groups_flush()
    {
        using var store = Open();
        using var release = new ManualResetEventSlim();
        var groups = new List<IReadOnlyList<string>>();
        store.Segments.BeforeFlush = names =>
        {
            lock (groups) groups.Add(names);
            release.Wait(); // the first group is held until every create is queued
        };
        var names = Enumerable.Range(0, 200).Select(i => $"raw/g/{i:D3}.csv").ToList();
        var creates = names.Select(async name =>
        {
            await store.CreateAsync(name, Bytes("row of " + name), null, default);
            return (Name: name, FlushesSeen: store.Segments.Flushes);
        }).ToList();
        Assert.DoesNotContain(creates, c => c.IsCompleted);
        release.Set();
        var done = await Task.WhenAll(creates);

        // The first group was held back, and everything queued behind it waited together: at most two flushes for 200
        // objects (one, if the writer woke only after all 200 were queued).
        Assert.InRange(store.Segments.Flushes, 1, 2);
        Assert.Equal(store.Segments.Flushes, groups.Count);
        Assert.Equal(200, groups.Sum(g => g.Count));
        foreach (var (name, seen) in done)
            Assert.True(seen >= 1 + groups.FindIndex(g => g.Contains(name)), $"{name} returned before its group's flush");
        foreach (var name in names) Assert.Equal("row of " + name, await ReadAsync(store, name));
    }

    [Fact]
    public async Task A_group_whose_write_fails_acknowledges_nothing_and_the_next_group_works()
    {
        var fail = true;
        using (var store = Open())
        {
            store.Segments.BeforeFlush = _ => { if (fail) throw new IOException("No space left on device", 28); };
            var e = await Assert.ThrowsAsync<IOException>(() => store.CreateAsync("raw/f/1.csv", Bytes("lost"), null, default));
            Assert.Equal(28, e.HResult);
            Assert.Null(await store.GetAsync("raw/f/1.csv", default));
            fail = false;
            await store.CreateAsync("raw/f/2.csv", Bytes("kept"), null, default);
            await store.CreateAsync("raw/f/1.csv", Bytes("retried"), null, default);
        }
        using var reopened = Open();
        Assert.Equal(["raw/f/1.csv", "raw/f/2.csv"], (await reopened.ListAsync("raw/f/", default).ToListAsync()).Select(o => o.Name));
        Assert.Equal("retried", await ReadAsync(reopened, "raw/f/1.csv"));
        Assert.Equal((0L, 0L), (reopened.Segments.TruncatedBytes, reopened.Segments.DamagedBytes));
    }
}
