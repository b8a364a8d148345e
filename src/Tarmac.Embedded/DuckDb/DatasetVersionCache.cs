using System.Collections.Concurrent;
using Tarmac.Core.Query;

namespace Tarmac.Embedded;

/// <summary>
/// Each dataset's data version, held in memory. This process is the only writer of the DuckDB file and a version changes
/// only inside its load transactions, so a query need not read it back from the database on every request.
/// </summary>
/// <remarks>
/// Loads are serialised, and a load sets its version only after its transaction committed, unconditionally; a reader only
/// ever fills a missing entry. So whatever the interleaving, the entry ends at the latest committed version. Between a
/// commit and its set, readers see the previous version, whose snapshot hides the new rows: still exact, one load behind.
/// </remarks>
internal sealed class DatasetVersionCache
{
    private readonly ConcurrentDictionary<string, DatasetVersion> _versions = new(StringComparer.Ordinal);

    public bool TryGet(string dataset, out DatasetVersion version) => _versions.TryGetValue(dataset, out version!);

    /// <summary>Fills a missing entry with what a reader read from the database; never replaces one.</summary>
    public void AddIfMissing(string dataset, DatasetVersion read) => _versions.TryAdd(dataset, read);

    /// <summary>Records what a load committed.</summary>
    public void Committed(string dataset, DatasetVersion committed) => _versions[dataset] = committed;
}
