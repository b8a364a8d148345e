using Tarmac.Embedded;

namespace Tarmac.Tests.Embedded;

/// <summary>The segment log's compact index behaves as the dictionary it replaced: by exact name, across growth and removals.</summary>
public sealed class SegmentIndexTests
{
    private static SegmentEntry Entry(int i, long generation) => new(i % 7, 1_000L + i, i % 300, 1_000L + i + i % 300, i % 5000, generation);

    private static string Name(int i) => $"raw/flights/2026-12-06/{i:x32}.csv";

    [Fact]
    public void Every_name_of_many_is_found_with_its_own_entry_across_blocks_and_rehashes()
    {
        var index = new SegmentIndex();
        const int n = 100_000; // more than a block of entries (8,192) and many table sizes
        for (var i = 0; i < n; i++) index.Set(Name(i), Entry(i, i + 1));
        Assert.Equal(n, index.Count);
        for (var i = 0; i < n; i++)
        {
            Assert.True(index.TryGet(Name(i), out var e), Name(i));
            Assert.Equal(Entry(i, i + 1), e);
        }
        Assert.False(index.TryGet(Name(n), out _));
        // A name is exact: neither its prefix nor a longer name matches.
        Assert.False(index.TryGet(Name(5)[..^1], out _));
        Assert.False(index.TryGet(Name(5) + "x", out _));
    }

    [Fact]
    public void Setting_a_name_again_replaces_its_entry_and_removal_needs_the_generation_it_holds()
    {
        var index = new SegmentIndex();
        index.Set("state/owners/a/b", Entry(1, 10));
        index.Set("state/owners/a/b", Entry(2, 11));
        Assert.Equal(1, index.Count);
        Assert.True(index.TryGet("state/owners/a/b", out var e));
        Assert.Equal(Entry(2, 11), e);

        // A tombstone of the older generation does not remove the newer object.
        Assert.False(index.RemoveIf("state/owners/a/b", 10));
        Assert.True(index.TryGet("state/owners/a/b", out _));
        Assert.True(index.RemoveIf("state/owners/a/b", 11));
        Assert.False(index.TryGet("state/owners/a/b", out _));
        Assert.False(index.RemoveIf("state/owners/a/b", 11));
        Assert.Equal(0, index.Count);

        // Created again after its removal: found, once.
        index.Set("state/owners/a/b", Entry(3, 12));
        Assert.True(index.TryGet("state/owners/a/b", out e));
        Assert.Equal(Entry(3, 12), e);
        Assert.Single(index.Select("state/"));
    }

    [Fact]
    public void Removals_between_inserts_keep_every_other_name_reachable()
    {
        // Deleted marks sit in probe chains: the names after them must still be found, and rehashes drop the marks.
        var index = new SegmentIndex();
        var expected = new Dictionary<string, SegmentEntry>();
        for (var i = 0; i < 20_000; i++)
        {
            index.Set(Name(i), Entry(i, i + 1));
            expected[Name(i)] = Entry(i, i + 1);
            if (i % 3 != 0) continue;
            Assert.Equal(expected.Remove(Name(i / 2)), index.RemoveIf(Name(i / 2), i / 2 + 1));
        }
        Assert.Equal(expected.Count, index.Count);
        for (var i = 0; i < 20_000; i++)
        {
            var found = index.TryGet(Name(i), out var e);
            Assert.Equal(expected.TryGetValue(Name(i), out var want), found);
            if (found) Assert.Equal(want, e);
        }
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), index.Select("raw/").Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Select_returns_the_names_under_a_prefix_after_a_generation_and_handles_names_beyond_ascii()
    {
        var index = new SegmentIndex();
        index.Set("raw/flights/2026-12-05/a.csv", Entry(1, 5));
        index.Set("raw/flights/2026-12-06/b.csv", Entry(2, 6));
        index.Set("raw/things/2026-12-06/c.csv", Entry(3, 7));
        index.Set("state/owners/ü/ñ", Entry(4, 8));

        Assert.Equal(["raw/flights/2026-12-05/a.csv", "raw/flights/2026-12-06/b.csv"], index.Select("raw/flights/").Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["raw/flights/2026-12-06/b.csv", "raw/things/2026-12-06/c.csv"], index.Select("raw/", afterGeneration: 5).Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(Entry(3, 7), Assert.Single(index.Select("raw/things/")).Value);
        Assert.Equal("state/owners/ü/ñ", Assert.Single(index.Select("state/owners/ü")).Key);
        Assert.True(index.TryGet("state/owners/ü/ñ", out var e));
        Assert.Equal(Entry(4, 8), e);
        Assert.Empty(index.Select("raw/flights/2026-12-07/"));
        Assert.Equal(4, index.Select("").Count);
    }
}
