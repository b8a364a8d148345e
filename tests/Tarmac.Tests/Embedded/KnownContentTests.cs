using System.Security.Cryptography;
using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Embedded;

/// <summary>
/// The filter that spares the ledger's lookup is a superset of what it was told (a false negative would let a duplicate
/// reach the unique index, which refuses the whole batch), answers "maybe" until loaded, and stays the same size.
/// </summary>
public class KnownContentTests
{
    private static string Sha(int i) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"file {i}")));

    [Fact]
    public async Task Every_pair_added_may_be_contained_and_unseen_pairs_are_new()
    {
        var known = new KnownContent();
        for (var i = 0; i < 20_000; i++) known.Add("flights", Sha(i));
        // Not loaded yet: it knows nothing for certain, so every batch must look up.
        Assert.True(known.MayContain("flights", Sha(-1)));

        // Loaded from an empty ledger: what it holds now is exactly what it was told.
        var dir = TempDirs.Create("tarmac-known");
        using (var db = new DuckDbDatabase(Path.Combine(dir, "w.duckdb"), SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas"))))
            await known.LoadAsync(db);
        Assert.True(known.Ready);
        Assert.All(Enumerable.Range(0, 20_000), i => Assert.True(known.MayContain("flights", Sha(i))));
        // At most 80,000 bits set of 2^27: the chance that any of these 20,000 is a false positive is about 3e-9.
        Assert.Equal(0, Enumerable.Range(20_000, 20_000).Count(i => known.MayContain("flights", Sha(i))));
        // The same bytes in another dataset are other content.
        Assert.Equal(0, Enumerable.Range(0, 20_000).Count(i => known.MayContain("events", Sha(i))));
    }
}
