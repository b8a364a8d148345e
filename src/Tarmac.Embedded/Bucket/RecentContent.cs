using System.IO.Hashing;

namespace Tarmac.Embedded;

/// <summary>
/// The objects appended to the segment log since a point the ledger moves, by content (length and a 64-bit hash): whether
/// the bytes of one were also appended under another name. The ledger asks before it lets a segment record stand as an
/// upload's registration (<see cref="SegmentRegistrations"/>). A false "not unique" (a hash collision, a deleted copy) only
/// sends that registration to the journal. Memory is bounded: past <see cref="MaxTracked"/> objects (a checkpoint held back
/// by an upload that does not load) new ones are not recorded, and until the checkpoint passes them no object is unique.
/// </summary>
internal sealed class RecentContent(int maxTracked = RecentContent.MaxTracked)
{
    /// <summary>Most objects recorded at once (about 150 bytes each).</summary>
    public const int MaxTracked = 1_000_000;

    private readonly Lock _gate = new();
    private long _untrackedThrough = long.MinValue;
    private long _forgottenThrough = long.MinValue;
    private readonly Dictionary<string, (int Length, ulong Hash)> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<(int Length, ulong Hash), int> _copies = [];
    private readonly Queue<(long Generation, string Name)> _order = new();

    /// <summary>Records an appended object (the writer calls this after the flush, before the append completes).</summary>
    public void Add(string name, long generation, ReadOnlySpan<byte> body)
    {
        var key = (body.Length, XxHash3.HashToUInt64(body));
        lock (_gate)
        {
            if (_byName.Count >= maxTracked)
            {
                // Not recorded, so a copy of it could not be seen: nothing is unique until the checkpoint passes it.
                _untrackedThrough = Math.Max(_untrackedThrough, generation);
                return;
            }
            if (!_byName.TryAdd(name, key)) return;
            _copies[key] = _copies.GetValueOrDefault(key) + 1;
            _order.Enqueue((generation, name));
        }
    }

    /// <summary>Whether <paramref name="name"/> is recorded and no other recorded object has the same bytes.</summary>
    public bool IsUnique(string name)
    {
        lock (_gate) return _untrackedThrough <= _forgottenThrough && _byName.TryGetValue(name, out var key) && _copies[key] == 1;
    }

    /// <summary>Objects recorded so far.</summary>
    public int Count
    {
        get { lock (_gate) return _byName.Count; }
    }

    /// <summary>Forgets the objects appended up to the first one after <paramref name="generation"/>, in append order.</summary>
    public void ForgetThrough(long generation)
    {
        lock (_gate)
        {
            _forgottenThrough = Math.Max(_forgottenThrough, generation);
            while (_order.TryPeek(out var head) && head.Generation <= generation)
            {
                _order.Dequeue();
                if (!_byName.Remove(head.Name, out var key)) continue;
                if (--_copies[key] == 0) _copies.Remove(key);
            }
        }
    }
}
