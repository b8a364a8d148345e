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
/// commit and its set the entry is one load behind, so readers go to the database while a commit is in progress
/// (<see cref="TryGetSettled"/>): an upload answered "loaded" is readable at once.
/// </remarks>
internal sealed class DatasetVersionCache
{
    private readonly ConcurrentDictionary<string, DatasetVersion> _versions = new(StringComparer.Ordinal);
    private long _commits;

    /// <summary>Moves once when a load starts committing and once when it has committed and set its versions: odd while one commits.</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Called just before a load transaction commits.</summary>
    public void CommitStarting() => Interlocked.Increment(ref _commits);

    /// <summary>Called once that commit ended (committed and versions set, or failed).</summary>
    public void CommitEnded() => Interlocked.Increment(ref _commits);

    /// <summary>
    /// True when every row visible now was loaded at or before <paramref name="snapshot"/>: no load is committing, and
    /// the latest committed load is not newer. <paramref name="commits"/> is the count it saw; a statement started after
    /// this call sees the same rows as long as <see cref="Commits"/> still equals it once the statement has started.
    /// </summary>
    public bool Covers(string dataset, DateTimeOffset? snapshot, out long commits)
    {
        commits = Commits;
        return commits % 2 == 0 && snapshot is { } s && TryGet(dataset, out var v) && v.LastLoadedAt is { } last && last <= s;
    }

    public bool TryGet(string dataset, out DatasetVersion version) => _versions.TryGetValue(dataset, out version!);

    /// <summary>
    /// The held version, unless a load is committing: its rows may already be visible while its version is not set yet,
    /// and a client that was just told "loaded" must read them. Then the caller reads the database instead.
    /// </summary>
    public bool TryGetSettled(string dataset, out DatasetVersion version)
    {
        var before = Commits;
        version = null!;
        return before % 2 == 0 && TryGet(dataset, out version) && Commits == before;
    }

    /// <summary>Fills a missing entry with what a reader read from the database; never replaces one.</summary>
    public void AddIfMissing(string dataset, DatasetVersion read) => _versions.TryAdd(dataset, read);

    /// <summary>Records what a load committed.</summary>
    public void Committed(string dataset, DatasetVersion committed) => _versions[dataset] = committed;
}
