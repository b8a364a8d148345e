using System.Collections.Concurrent;
using Tarmac.Core.Uploads;

namespace Tarmac.Embedded;

/// <summary>
/// Uploads registered (in the <see cref="RegistrationJournal"/>, or by their segment record: <see cref="SegmentRegistrations"/>)
/// whose ledger row is not written yet: the load that settles
/// one inserts its row with the outcome, instead of an insert at registration and an update at load (three DuckDB writes and
/// two reads an upload became one append a batch). Until then this is where the ledger's reads find them.
/// </summary>
/// <remarks>
/// An entry stays after its row is committed, marked settled with the committed record, until the registrar prunes it at
/// the start of its next group: the registrar's reads of the ledger table then start after that commit, so an upload is
/// always in one of the two places it looks (a reader that misses it here finds it in the table, committed before the prune).
/// Memory: one record per upload waiting for its load, bounded by how far the loads are behind.
/// </remarks>
internal sealed class OpenUploads
{
    private readonly ConcurrentDictionary<string, Entry> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Dataset, string Sha256), Entry> _byContent = new();
    private readonly ConcurrentQueue<Entry> _settled = new();
    private long _pending;

    /// <summary>
    /// One open upload: its record, what holds its registration (a journal file, or its segment record's generation), and
    /// whether its row is committed.
    /// </summary>
    internal sealed class Entry(UploadRecord record, long journalFile, long segmentGeneration)
    {
        /// <summary>The <see cref="JournalFile"/> of an upload whose segment record is its registration.</summary>
        public const long NoJournal = -1;

        private volatile UploadRecord _record = record;
        private volatile bool _settled;

        public UploadRecord Record => _record;

        public long JournalFile { get; } = journalFile;

        /// <summary>The generation of its segment record when that is its registration (else 0).</summary>
        public long SegmentGeneration { get; } = segmentGeneration;

        /// <summary>Its row is in the ledger table, as <see cref="Record"/> says.</summary>
        public bool Settled => _settled;

        /// <summary>Marks it settled; false if it was already.</summary>
        public bool Settle(UploadRecord committed)
        {
            lock (this)
            {
                _record = committed;
                if (_settled) return false;
                _settled = true;
                return true;
            }
        }
    }

    /// <summary>Open uploads, settled ones included.</summary>
    public int Count => _byId.Count;

    /// <summary>Open uploads whose row is not committed yet: how far the loads are behind the registrations.</summary>
    public long Pending => Interlocked.Read(ref _pending);

    /// <summary>The open upload of this id, settled or not.</summary>
    public bool TryGet(string uploadId, out Entry entry) => _byId.TryGetValue(uploadId, out entry!);

    /// <summary>The open upload of these bytes in this dataset.</summary>
    public bool TryGetByContent(string dataset, string sha256, out Entry entry) => _byContent.TryGetValue((dataset, sha256), out entry!);

    /// <summary>Adds a registration the journal or a segment record holds (only the registrar adds).</summary>
    public void Add(UploadRecord record, long journalFile, long segmentGeneration = 0)
    {
        var e = new Entry(record, journalFile, segmentGeneration);
        _byId[record.UploadId] = e;
        _byContent[(record.Dataset, record.Sha256)] = e;
        Interlocked.Increment(ref _pending);
    }

    /// <summary>The record of an upload whose row was just committed (after the commit, never before).</summary>
    public void Settled(UploadRecord committed)
    {
        if (!_byId.TryGetValue(committed.UploadId, out var e) || !e.Settle(committed)) return;
        Interlocked.Decrement(ref _pending);
        _settled.Enqueue(e);
    }

    /// <summary>
    /// Removes the uploads settled so far (their rows are committed) and returns them, for the journal to release their files.
    /// Only the registrar prunes, before it reads the ledger table.
    /// </summary>
    public List<Entry> Prune()
    {
        var pruned = new List<Entry>();
        while (_settled.TryDequeue(out var e))
        {
            _byId.TryRemove(new KeyValuePair<string, Entry>(e.Record.UploadId, e));
            _byContent.TryRemove(new KeyValuePair<(string, string), Entry>((e.Record.Dataset, e.Record.Sha256), e));
            pruned.Add(e);
        }
        return pruned;
    }

    /// <summary>The oldest segment generation among uploads still waiting for their row, if any.</summary>
    public long? OldestWaitingSegment()
    {
        long? oldest = null;
        foreach (var e in _byId.Values)
            if (e.SegmentGeneration > 0 && !e.Settled && (oldest is null || e.SegmentGeneration < oldest)) oldest = e.SegmentGeneration;
        return oldest;
    }

    /// <summary>A snapshot of the open uploads' records.</summary>
    public List<UploadRecord> Snapshot() => [.. _byId.Values.Select(e => e.Record)];
}
