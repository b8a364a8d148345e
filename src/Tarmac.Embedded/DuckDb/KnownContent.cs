using System.IO.Hashing;
using System.Text;
using static Tarmac.Embedded.DuckDbDatabase;

namespace Tarmac.Embedded;

/// <summary>
/// A superset of the (dataset, SHA-256) pairs in the uploads ledger, as 64-bit hashes in memory (about 24 bytes an upload):
/// a registration batch none of whose contents it may hold is new, and needs no lookup in the ledger before it is
/// appended. The ledger's unique index stays the guarantee; this only spares the lookup (on every takeoff, a query that
/// cost as much as the commit). Until it is loaded (one scan of the ledger, in the background) every batch looks up.
/// </summary>
internal sealed class KnownContent
{
    private readonly HashSet<long> _keys = [];
    private readonly Lock _gate = new();
    private volatile bool _ready;

    /// <summary>Whether the set holds every pair of the ledger (else it answers nothing).</summary>
    public bool Ready => _ready;

    /// <summary>Reads every pair of the ledger; pairs registered meanwhile are added by <see cref="Add"/>, so none is missed.</summary>
    public async Task LoadAsync(DuckDbDatabase db)
    {
        await using var c = db.Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT dataset, sha256 FROM {UploadsTable}";
        await using var r = await cmd.ExecuteReaderAsync();
        var keys = new List<long>();
        while (await r.ReadAsync()) keys.Add(Key(r.GetString(0), r.GetString(1)));
        lock (_gate) _keys.UnionWith(keys);
        _ready = true;
    }

    /// <summary>Records a pair the ledger now holds (or may hold: a superset is still correct).</summary>
    public void Add(string dataset, string sha256)
    {
        var key = Key(dataset, sha256);
        lock (_gate) _keys.Add(key);
    }

    /// <summary>False only when the ledger certainly holds no upload of these bytes in this dataset.</summary>
    public bool MayContain(string dataset, string sha256)
    {
        if (!_ready) return true;
        var key = Key(dataset, sha256);
        lock (_gate) return _keys.Contains(key);
    }

    private static long Key(string dataset, string sha256) => (long)XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(dataset + "\n" + sha256));
}
