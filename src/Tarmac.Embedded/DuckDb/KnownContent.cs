using System.IO.Hashing;
using System.Text;
using static Tarmac.Embedded.DuckDbDatabase;

namespace Tarmac.Embedded;

/// <summary>
/// A superset of the (dataset, SHA-256) pairs and of the upload ids in the uploads ledger, as a Bloom filter of fixed size: a registration batch
/// none of whose contents or ids it may hold is new, and needs no lookup in the ledger before it is appended (on every takeoff, a
/// query that cost as much as the commit). The registrar adds every pair it appends, and until the filter is loaded (one
/// scan of the ledger, in the background) every batch looks up, so it never answers "new" for a pair the ledger holds:
/// with the registrar as the one writer of new registrations, that is what keeps identical bytes from being registered twice.
/// </summary>
/// <remarks>
/// Fixed memory, whatever the ledger holds (a set of every pair grew by 24 bytes an upload, without bound). With
/// <see cref="Bits"/> bits and <see cref="Probes"/> probes and two keys an upload (its content and its id), the false-positive
/// rate of a key is about 0.4% at 5 million uploads and 4% at 10 million: a false positive only costs the lookup the batch
/// made before this existed.
/// </remarks>
internal sealed class KnownContent
{
    /// <summary>Bits of the filter (16 MiB).</summary>
    internal const int Bits = 1 << 27;

    /// <summary>Bit positions set and tested for each pair.</summary>
    internal const int Probes = 4;

    private readonly long[] _words = new long[Bits / 64];
    private volatile bool _ready;

    /// <summary>Whether the filter holds every pair of the ledger (else it answers nothing).</summary>
    public bool Ready => _ready;

    /// <summary>Reads every pair of the ledger; pairs registered meanwhile are added by <see cref="Add"/>, so none is missed.</summary>
    public async Task LoadAsync(DuckDbDatabase db)
    {
        await using var c = db.Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT dataset, sha256, upload_id FROM {UploadsTable}";
        await using var r = await cmd.ExecuteReaderAsync();
        while (await r.ReadAsync())
        {
            Add(r.GetString(0), r.GetString(1));
            AddId(r.GetString(2));
        }
        _ready = true;
    }

    /// <summary>Records a pair the ledger now holds (or may hold: a superset is still correct).</summary>
    public void Add(string dataset, string sha256)
    {
        var (h1, h2) = Hashes(dataset, sha256);
        for (var i = 0; i < Probes; i++)
        {
            var bit = Bit(h1, h2, i);
            Interlocked.Or(ref _words[bit >> 6], 1L << (int)(bit & 63));
        }
    }

    /// <summary>Records an upload id the ledger now holds (ids and contents share the filter; a dataset never starts with U+0001).</summary>
    public void AddId(string uploadId) => Add(IdKey, uploadId);

    /// <summary>False only when the ledger certainly holds no upload of this id.</summary>
    public bool MayContainId(string uploadId) => MayContain(IdKey, uploadId);

    private const string IdKey = "\u0001id";

    /// <summary>False only when the ledger certainly holds no upload of these bytes in this dataset.</summary>
    public bool MayContain(string dataset, string sha256)
    {
        if (!_ready) return true;
        var (h1, h2) = Hashes(dataset, sha256);
        for (var i = 0; i < Probes; i++)
        {
            var bit = Bit(h1, h2, i);
            if ((Volatile.Read(ref _words[bit >> 6]) & (1L << (int)(bit & 63))) == 0) return false;
        }
        return true;
    }

    // Double hashing (Kirsch and Mitzenmacher): probe i is h1 + i·h2, as good as independent hashes for a Bloom filter.
    private static long Bit(uint h1, uint h2, int i) => (h1 + (long)i * (h2 | 1)) & (Bits - 1);

    private static (uint, uint) Hashes(string dataset, string sha256)
    {
        var h = XxHash64.HashToUInt64(Encoding.UTF8.GetBytes(dataset + "\n" + sha256));
        return ((uint)h, (uint)(h >> 32));
    }
}
