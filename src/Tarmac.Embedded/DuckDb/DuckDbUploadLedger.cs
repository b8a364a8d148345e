using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using static Tarmac.Embedded.DuckDbDatabase;

namespace Tarmac.Embedded;

/// <summary>
/// The uploads ledger in the embedded warehouse's database. Registrations are group-committed: callers queue, and one
/// writer registers everything queued so far with one disk flush, so under load many uploads share one instead of each
/// waiting for its own; alone, an upload waits for exactly one. A new upload's registration is its segment record when its
/// bytes went to a segment (<see cref="SegmentRegistrations"/>: the flush that made the bytes durable made it durable too),
/// else it is written to the <see cref="RegistrationJournal"/>; its row in the ledger table is written by the load that
/// settles it, with its outcome
/// (<see cref="OpenUploads"/> answers for it until then): one append a load batch instead of an insert, an update and two
/// reads an upload, each of them a DuckDB statement that scanned the ledger's recent row groups.
/// </summary>
public sealed partial class DuckDbUploadLedger : IUploadLedger, ILoadBacklog, IDisposable
{
    /// <summary>Most registrations committed together.</summary>
    private const int MaxRegistrationBatch = 2000;

    private readonly DuckDbDatabase _db;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Channel<PendingRegistration> _registrations = Channel.CreateUnbounded<PendingRegistration>(new() { SingleReader = true });
    private readonly Thread _registrar;
    private readonly KnownContent _known = new();
    private readonly RegistrationJournal _journal;
    private readonly SegmentRegistrations? _segments;
    private readonly ILogger? _logger;
    private long _lookups;
    private long _advancedAt;

    /// <param name="db">The database holding the ledger table.</param>
    /// <param name="time">Clock for ledger timestamps.</param>
    /// <param name="logger">Where what the replay found is reported (a torn tail, damage, a ledger rebuilt); null reports nothing.</param>
    public DuckDbUploadLedger(DuckDbDatabase db, TimeProvider time, ILogger? logger = null) : this(db, time, null, RegistrationJournal.RollBytes, logger)
    {
    }

    /// <param name="db">The database holding the ledger table.</param>
    /// <param name="time">Clock for ledger timestamps.</param>
    /// <param name="bucket">The bucket whose segment records are the registrations of the small uploads in it; null writes
    /// every registration to the journal.</param>
    /// <param name="logger">Where what the replay found is reported (a torn tail, damage, a ledger rebuilt); null reports nothing.</param>
    public DuckDbUploadLedger(DuckDbDatabase db, TimeProvider time, FileSystemObjectStore? bucket, ILogger? logger = null)
        : this(db, time, bucket, RegistrationJournal.RollBytes, logger)
    {
    }

    /// <param name="db">The database holding the ledger table.</param>
    /// <param name="time">Clock for ledger timestamps.</param>
    /// <param name="bucket">The bucket whose segment records are registrations, if any.</param>
    /// <param name="journalRollBytes">Size at which a journal file takes no more registrations (tests roll it sooner).</param>
    /// <param name="logger">Where what the replay found is reported.</param>
    internal DuckDbUploadLedger(DuckDbDatabase db, TimeProvider time, FileSystemObjectStore? bucket, long journalRollBytes, ILogger? logger = null)
    {
        _db = db;
        _time = time;
        _logger = logger;
        // Before anything reads the ledger: what an earlier run registered and did not load gets its row (status stored),
        // which is where startup recovery finds it.
        _journal = RegistrationJournal.Open(db.JournalFolder, journalRollBytes, out var replayed, out var damage);
        Replayed = WriteReplayedRows(replayed);
        JournalDamage = damage;
        if (bucket is not null)
        {
            _segments = new SegmentRegistrations(bucket.Segments, db.JournalFolder);
            SegmentReplayed = WriteSegmentRows(_segments);
            // Every record up to here has its row now (or is a duplicate's), and nothing is registered yet.
            _segments.Advance(null);
        }
        if (logger is not null)
        {
            foreach (var table in db.KeysDropped) LogKeyDropped(logger, table);
            ReportReplay(logger, Replayed + SegmentReplayed, damage);
        }
        _journal.DeleteReplayed();
        _registrar = new Thread(RunRegistrar) { IsBackground = true, Name = "tarmac-ledger-registrar" };
        _registrar.Start();
        // Until this is loaded every batch looks up; a failed load only leaves it so.
        KnownLoaded = Task.Run(() => _known.LoadAsync(db));
    }

    /// <inheritdoc />
    public long Pending => _db.OpenUploads.Pending;

    /// <summary>Completes once the set of known contents is loaded (faulted if it could not be: then every batch looks up).</summary>
    internal Task KnownLoaded { get; }

    /// <summary>Batches that looked up existing uploads before appending (the others were certainly new).</summary>
    internal long Lookups => Interlocked.Read(ref _lookups);

    /// <summary>Registrations of an earlier run that had no ledger row when this one started, and got one (status stored).</summary>
    internal int Replayed { get; }

    /// <summary>Registrations held by segment records of an earlier run that had no ledger row when this one started, and got one.</summary>
    internal int SegmentReplayed { get; }

    /// <summary>The checkpoint of the segment registrations (null without a bucket).</summary>
    internal SegmentRegistrations? SegmentCheckpoint => _segments;

    /// <summary>What the journal's replay skipped at start: torn tails (a crash during a flush, never answered) and damage.</summary>
    internal IReadOnlyList<JournalDamage> JournalDamage { get; }

    /// <inheritdoc />
    public Task<RegisterResult> RegisterAsync(UploadRecord candidate, CancellationToken ct)
    {
        var pending = new PendingRegistration(candidate, new TaskCompletionSource<RegisterResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_registrations.Writer.TryWrite(pending), this);
        return pending.Done.Task.WaitAsync(ct);
    }

    /// <inheritdoc />
    public async Task<UploadRecord?> GetAsync(string uploadId, CancellationToken ct) =>
        (await GetManyAsync([uploadId], ct)).GetValueOrDefault(uploadId);

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, UploadRecord>> GetManyAsync(IReadOnlyCollection<string> uploadIds, CancellationToken ct)
    {
        // Open uploads first, then the table: an upload leaves the open set only after its row is committed.
        var found = new Dictionary<string, UploadRecord>(StringComparer.Ordinal);
        List<string>? rest = null;
        foreach (var id in uploadIds)
        {
            if (_db.OpenUploads.TryGet(id, out var open)) found[id] = open.Record;
            else (rest ??= []).Add(id);
        }
        if (rest is null) return found;
        // Answers every GET /uploads/{id} and every ?wait=true: bounded by the ids' mint time like the batch reads.
        await using var c = _db.Open();
        foreach (var (id, u) in await UploadRows.ReadManyAsync(c, rest, ct)) found[id] = u;
        return found;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UploadRecord>> ListByStatusAsync(UploadStatus status, int limit, CancellationToken ct)
    {
        var rows = await ListAsync($"WHERE status = $st ORDER BY received_at, upload_id LIMIT $n", limit, ct, P("st", status.ToWire()));
        return WithOpen(rows, u => u.Status == status, ascending: true, limit);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UploadRecord>> ListRecentAsync(int limit, CancellationToken ct)
    {
        var rows = await ListAsync("ORDER BY received_at DESC, upload_id DESC LIMIT $n", limit, ct);
        return WithOpen(rows, _ => true, ascending: false, limit);
    }

    private async Task<List<UploadRecord>> ListAsync(string tail, int limit, CancellationToken ct, params DuckDB.NET.Data.DuckDBParameter[] parameters)
    {
        await using var c = _db.Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {UploadRows.Columns} FROM {UploadsTable} {tail}";
        cmd.Parameters.AddRange(parameters);
        cmd.Parameters.Add(P("n", limit));
        var list = new List<UploadRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(UploadRows.Read(r));
        return list;
    }

    /// <summary>
    /// A page of the table merged with the open uploads (read after it: an open upload's record is at least as new as its
    /// row), in the page's order.
    /// </summary>
    private List<UploadRecord> WithOpen(List<UploadRecord> rows, Func<UploadRecord, bool> wanted, bool ascending, int limit)
    {
        var open = _db.OpenUploads.Snapshot();
        if (open.Count == 0) return rows;
        var byId = rows.ToDictionary(u => u.UploadId, StringComparer.Ordinal);
        foreach (var u in open) byId[u.UploadId] = u;
        var merged = byId.Values.Where(wanted);
        merged = ascending
            ? merged.OrderBy(u => u.ReceivedAt).ThenBy(u => u.UploadId, StringComparer.Ordinal)
            : merged.OrderByDescending(u => u.ReceivedAt).ThenByDescending(u => u.UploadId, StringComparer.Ordinal);
        return [.. merged.Take(limit)];
    }

    /// <inheritdoc />
    public async Task MarkFailedAsync(string uploadId, string reason, CancellationToken ct)
    {
        // Under the load lock: no load is writing this upload's row meanwhile, so whether it has one is known here.
        await _db.LoadLock.WaitAsync(ct);
        try
        {
            _db.EnsureSound();
            await _writeLock.WaitAsync(ct);
            try
            {
                var at = _time.GetUtcNow();
                await using var c = _db.Open();
                var open = _db.OpenUploads.TryGet(uploadId, out var entry) ? entry : null;
                if (open is { Settled: false })
                {
                    // Its row is not written yet: it is written now, then failed below.
                    using var appender = c.CreateAppender(UploadsTable);
                    UploadRows.Append(appender, open.Record);
                }
                UploadRows.UpdateOne(c, uploadId, "status = 'failed', error = $e, completed_at = $at, attempts = attempts + 1", "status = 'stored'",
                    P("e", reason), P("at", at.UtcDateTime));
                if (open is not null && (await UploadRows.ReadManyAsync(c, [uploadId], ct)).GetValueOrDefault(uploadId) is { } settled)
                    _db.OpenUploads.Settled(settled);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        finally
        {
            _db.LoadLock.Release();
        }
    }

    /// <summary>Stops taking registrations and waits for the queued ones to commit.</summary>
    public void Dispose()
    {
        _registrations.Writer.TryComplete();
        var drained = _registrar.Join(TimeSpan.FromSeconds(10));
        if (_segments is not null)
        {
            // Registrations have stopped: the checkpoint may move up to the newest record, so a clean restart checks nothing.
            try { if (drained) _segments.Advance(_db.OpenUploads.OldestWaitingSegment(), final: true); }
            catch (IOException) { } // it stays where it was: the next start checks a little more
            _segments.Dispose();
        }
        _journal.Dispose();
        _writeLock.Dispose();
    }

    /// <summary>Writes the rows of replayed registrations that have none (their load had not committed), as stored.</summary>
    private int WriteReplayedRows(List<UploadRecord> replayed)
    {
        if (replayed.Count == 0) return 0;
        using var c = _db.Open();
        var present = UploadRows.ReadManyAsync(c, replayed.Select(u => u.UploadId), default).GetAwaiter().GetResult();
        var missing = replayed.Where(u => !present.ContainsKey(u.UploadId)).DistinctBy(u => u.UploadId, StringComparer.Ordinal).ToList();
        return AppendRows(c, missing);
    }

    /// <summary>
    /// Writes the rows, as stored, of the registrations segment records hold after the checkpoint that have none: uploads an
    /// earlier run answered and did not load. Of identical bytes only the first flushed gets one, and none when an upload in
    /// the table holds them: the others were answered as its duplicates (the registrar's choice, which
    /// <see cref="SegmentRegistrations.Holds"/> keeps the same).
    /// </summary>
    private int WriteSegmentRows(SegmentRegistrations segments)
    {
        var after = segments.AfterCheckpoint();
        if (after.Count == 0) return 0;
        using var c = _db.Open();
        var named = after.Select(e => (Entry: e, Id: UploadIds.TryParseObjectName(e.Key, out _, out var id) ? id : null)).Where(e => e.Id is not null).ToList();
        var present = UploadRows.ReadManyAsync(c, named.Select(e => e.Id!).Distinct(StringComparer.Ordinal), default).GetAwaiter().GetResult();
        var candidates = named.Where(e => !present.ContainsKey(e.Id!)).Select(e => segments.Registration(e.Entry.Key, e.Entry.Value)).OfType<UploadRecord>().ToList();
        if (candidates.Count == 0) return 0;
        var taken = new HashSet<(string, string)>();
        using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = $"SELECT dataset, sha256 FROM {UploadsTable} WHERE sha256 IN (SELECT unnest($shas))";
            cmd.Parameters.Add(P("shas", candidates.Select(u => u.Sha256).Distinct().ToList()));
            using var r = cmd.ExecuteReader();
            while (r.Read()) taken.Add((r.GetString(0), r.GetString(1)));
        }
        var missing = candidates.Where(u => taken.Add((u.Dataset, u.Sha256))).DistinctBy(u => u.UploadId, StringComparer.Ordinal).ToList();
        return AppendRows(c, missing);
    }

    /// <summary>Appends <paramref name="rows"/>, which a read found absent, to the ledger table in one transaction.</summary>
    private static int AppendRows(DuckDB.NET.Data.DuckDBConnection c, List<UploadRecord> rows)
    {
        if (rows.Count == 0) return 0;
        using var tx = c.BeginTransaction();
        using (var appender = c.CreateAppender(UploadsTable))
            foreach (var u in rows) UploadRows.Append(appender, u);
        tx.Commit();
        return rows.Count;
    }

    /// <summary>At most once a second, from the registrar: the segment checkpoint follows the oldest upload waiting for its row.</summary>
    private void AdvanceCheckpoint()
    {
        if (_segments is null || Environment.TickCount64 - _advancedAt < 1000) return;
        _advancedAt = Environment.TickCount64;
        // A failed write leaves the checkpoint where it was: the next start checks a little more, and nothing is lost.
        try { _segments.Advance(_db.OpenUploads.OldestWaitingSegment()); }
        catch (IOException) { }
    }

    private static void ReportReplay(ILogger logger, int replayed, List<JournalDamage> damage)
    {
        if (replayed > 0) LogReplayed(logger, replayed);
        foreach (var d in damage)
        {
            // A torn tail is what a crash mid-flush leaves (never acknowledged); damage between whole records is not.
            if (d.Torn) LogTornTail(logger, d.Length, d.Path);
            else LogDamaged(logger, d.Length, d.Path, d.Offset);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rebuilt {table} without its primary key, once: a commit DuckDB reverts after it runs out of memory can leave ids in that index with no row, and refuse them for good (docs/operations.md, Memory)")]
    private static partial void LogKeyDropped(ILogger logger, string table);

    [LoggerMessage(Level = LogLevel.Information, Message = "Wrote the ledger rows of {count} uploads an earlier run registered and did not load; they load now")]
    private static partial void LogReplayed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Skipped {bytes} bytes of torn registration journal tail (a flush a crash interrupted, never acknowledged) in {file}")]
    private static partial void LogTornTail(ILogger logger, long bytes, string file);

    [LoggerMessage(Level = LogLevel.Error, Message = "Skipped {bytes} damaged bytes between whole records of registration journal {file} at {offset}: the registrations they held are found again by the startup scan of raw objects, which lists today's and yesterday's folders")]
    private static partial void LogDamaged(ILogger logger, long bytes, string file, long offset);

    private sealed record PendingRegistration(UploadRecord Candidate, TaskCompletionSource<RegisterResult> Done);

    /// <summary>
    /// The registrar: a thread of its own, not the thread pool's. Every upload waits for it, and it runs one group at a time,
    /// so its latency is the ceiling on how many uploads a second can register; on the thread pool each of its steps queued
    /// behind the requests it was serving.
    /// </summary>
    private void RunRegistrar()
    {
        var reader = _registrations.Reader;
        var batch = new List<PendingRegistration>();
        DuckDB.NET.Data.DuckDBConnection? connection = null;
        try
        {
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                batch.Clear();
                while (batch.Count < MaxRegistrationBatch && reader.TryRead(out var p)) batch.Add(p);
                // Before this group reads the table: what was settled up to now is committed, so its reads find those rows.
                foreach (var file in _db.OpenUploads.Prune().Where(e => e.JournalFile != OpenUploads.Entry.NoJournal).GroupBy(e => e.JournalFile))
                    _journal.Released(file.Key, file.Count());
                AdvanceCheckpoint();
                try
                {
                    // Opened inside the try: a failure to open fails this group's uploads, not the registrar's thread.
                    var results = RegisterBatch(() => connection ??= _db.Open(), batch);
                    for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
                }
                catch (Exception) when (batch.Count > 1)
                {
                    // One bad candidate must not fail its neighbours: register them one by one.
                    foreach (var p in batch)
                    {
                        try { p.Done.TrySetResult(RegisterBatch(() => connection ??= _db.Open(), [p])[0]); }
                        catch (Exception e) { p.Done.TrySetException(e); }
                    }
                }
                catch (Exception e)
                {
                    batch[0].Done.TrySetException(e);
                }
                // Closed after each group that opened one (most open none): a connection held while the registrar waits
                // would keep the database from replacing its instance (DuckDbDatabase.TryReset), and one a failure left
                // unusable is not reused.
                connection?.Dispose();
                connection = null;
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private RegisterResult[] RegisterBatch(Func<DuckDB.NET.Data.DuckDBConnection> connection, IReadOnlyList<PendingRegistration> batch)
    {
        _writeLock.Wait();
        try
        {
            var open = _db.OpenUploads;
            var byId = new Dictionary<string, UploadRecord>(StringComparer.Ordinal);
            var byContent = new Dictionary<(string, string), UploadRecord>();
            // Bytes and ids never seen need no read of the table: the filter says when one may have been.
            var lookup = false;
            foreach (var p in batch)
                lookup |= _known.MayContain(p.Candidate.Dataset, p.Candidate.Sha256) || _known.MayContainId(p.Candidate.UploadId);
            DuckDB.NET.Data.DuckDBConnection? c = null;
            using var tx = lookup ? (c = connection()).BeginTransaction() : null;
            if (lookup)
            {
                Interlocked.Increment(ref _lookups);
                using var cmd = c!.CreateCommand();
                cmd.CommandText = $"SELECT {UploadRows.Columns} FROM {UploadsTable} WHERE upload_id IN (SELECT unnest($ids)) OR sha256 IN (SELECT unnest($shas))";
                cmd.Parameters.Add(P("ids", batch.Select(p => p.Candidate.UploadId).ToList()));
                cmd.Parameters.Add(P("shas", batch.Select(p => p.Candidate.Sha256).Distinct().ToList()));
                using var r = cmd.ExecuteReader();
                while (r.Read())
                {
                    var u = UploadRows.Read(r);
                    byId[u.UploadId] = u;
                    byContent[(u.Dataset, u.Sha256)] = u;
                }
            }
            var results = new RegisterResult[batch.Count];
            var retries = new List<(int Index, UploadRecord Retried, UploadRecord Existing)>();
            var created = new List<UploadRecord>();
            for (var i = 0; i < batch.Count; i++)
            {
                var candidate = batch[i].Candidate;
                // An open upload's record is newer than anything the table read gave.
                if (open.TryGet(candidate.UploadId, out var openSame)) byId[candidate.UploadId] = openSame.Record;
                if (open.TryGetByContent(candidate.Dataset, candidate.Sha256, out var openExisting)) byContent[(candidate.Dataset, candidate.Sha256)] = openExisting.Record;
                if (byId.TryGetValue(candidate.UploadId, out var same))
                {
                    results[i] = new RegisterResult(RegisterOutcome.Created, same);
                    continue;
                }
                if (byContent.TryGetValue((candidate.Dataset, candidate.Sha256), out var existing))
                {
                    if (existing.Status != UploadStatus.Failed)
                    {
                        results[i] = new RegisterResult(RegisterOutcome.Duplicate, existing);
                        continue;
                    }
                    // The new object holds the same bytes and certainly exists, whatever became of the old one.
                    // The retry is traced under the request that sent the bytes again.
                    var retried = existing with { Status = UploadStatus.Stored, Object = candidate.Object, Error = null, CompletedAt = null, TraceParent = candidate.TraceParent ?? existing.TraceParent };
                    retries.Add((i, retried, existing));
                    byContent[(candidate.Dataset, candidate.Sha256)] = byId[retried.UploadId] = retried;
                    results[i] = new RegisterResult(RegisterOutcome.Retry, retried);
                    continue;
                }
                var fresh = UploadRows.AsStored(candidate with
                {
                    Status = UploadStatus.Stored, RowsLoaded = 0, RowsRejected = 0, Errors = [], Error = null,
                    ProcessingStartedAt = null, CompletedAt = null, Attempts = 0,
                });
                created.Add(fresh);
                byContent[(fresh.Dataset, fresh.Sha256)] = byId[fresh.UploadId] = fresh;
                results[i] = new RegisterResult(RegisterOutcome.Created, fresh);
            }
            // A retry writes to the table (the failed row back to stored). After a failed commit the instance's writes are
            // suspect until it is replaced (DuckDbDatabase.TryReset): this group's retries are refused (503, tried again by
            // the client), and the loads replace the instance. The registrar never replaces it itself: it holds a connection.
            if (retries.Count > 0 && _db.ResetPending) throw new WarehouseReplacingException();
            foreach (var (index, retried, existing) in retries)
            {
                // A failed upload's row is in the table (a failure is written there); it is reset to stored in the same group.
                var changed = UploadRows.UpdateOne(c ??= connection(), retried.UploadId, "status = 'stored', object = $o, error = NULL, completed_at = NULL, traceparent = $tp",
                    "status = 'failed'", P("o", retried.Object), P("tp", retried.TraceParent));
                // Failed after this group's read began (its row is newer than the read): a duplicate this time, retried by the next post.
                if (changed == 0) results[index] = new RegisterResult(RegisterOutcome.Duplicate, existing);
            }
            if (created.Count > 0)
            {
                // Before the flush: a filter that holds what the journal lacks (the flush failed) only costs a lookup.
                foreach (var u in created)
                {
                    _known.Add(u.Dataset, u.Sha256);
                    _known.AddId(u.UploadId);
                }
                // A segment record is its upload's registration already; only the rest are written to the journal.
                var inJournal = new List<UploadRecord>(_segments is null ? created.Count : 0);
                var inSegments = new List<(UploadRecord Upload, long Generation)>(created.Count);
                foreach (var u in created)
                {
                    if (_segments is not null && _segments.Holds(u, out var generation)) inSegments.Add((u, generation));
                    else inJournal.Add(u);
                }
                if (inJournal.Count > 0)
                {
                    var file = _journal.Append(inJournal);
                    foreach (var u in inJournal) open.Add(u, file);
                }
                foreach (var (u, generation) in inSegments) open.Add(u, OpenUploads.Entry.NoJournal, generation);
            }
            tx?.Commit();
            return results;
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
