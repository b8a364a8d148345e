using System.Threading.Channels;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using static Tarmac.Embedded.DuckDbDatabase;

namespace Tarmac.Embedded;

/// <summary>
/// The uploads ledger in the embedded warehouse's database. Registrations are group-committed: callers queue, and one
/// writer registers everything queued so far in one transaction. A commit costs a disk flush, so under load many uploads
/// share one instead of each waiting for its own; alone, an upload waits for exactly one.
/// </summary>
public sealed class DuckDbUploadLedger : IUploadLedger, IDisposable
{
    /// <summary>Most registrations committed together.</summary>
    private const int MaxRegistrationBatch = 2000;

    private readonly DuckDbDatabase _db;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly Channel<PendingRegistration> _registrations = Channel.CreateUnbounded<PendingRegistration>(new() { SingleReader = true });
    private readonly Thread _registrar;
    private readonly KnownContent _known = new();
    private long _lookups;
    private long _refusals;
    private long _commits;

    /// <param name="db">The database holding the ledger table.</param>
    /// <param name="time">Clock for ledger timestamps.</param>
    public DuckDbUploadLedger(DuckDbDatabase db, TimeProvider time)
    {
        _db = db;
        _time = time;
        _registrar = new Thread(RunRegistrar) { IsBackground = true, Name = "tarmac-ledger-registrar" };
        _registrar.Start();
        // Until this is loaded every batch looks up; a failed load only leaves it so.
        KnownLoaded = Task.Run(() => _known.LoadAsync(db));
    }

    /// <summary>Registration transactions committed so far (a seam for tests and measurements: how well uploads share them).</summary>
    internal long Commits => Interlocked.Read(ref _commits);

    /// <summary>Completes once the set of known contents is loaded (faulted if it could not be: then every batch looks up).</summary>
    internal Task KnownLoaded { get; }

    /// <summary>Batches appended without a lookup that the ledger refused (a reused upload id), then looked up.</summary>
    internal long Refusals => Interlocked.Read(ref _refusals);

    /// <summary>Batches that looked up existing uploads before appending (the others were certainly new).</summary>
    internal long Lookups => Interlocked.Read(ref _lookups);

    /// <inheritdoc />
    public Task<RegisterResult> RegisterAsync(UploadRecord candidate, CancellationToken ct)
    {
        var pending = new PendingRegistration(candidate, new TaskCompletionSource<RegisterResult>(TaskCreationOptions.RunContinuationsAsynchronously));
        ObjectDisposedException.ThrowIf(!_registrations.Writer.TryWrite(pending), this);
        return pending.Done.Task.WaitAsync(ct);
    }

    /// <inheritdoc />
    public async Task<UploadRecord?> GetAsync(string uploadId, CancellationToken ct)
    {
        // Answers every GET /uploads/{id} and every ?wait=true: bounded by the id's mint time like the batch reads.
        await using var c = _db.Open();
        return (await UploadRows.ReadManyAsync(c, [uploadId], ct)).GetValueOrDefault(uploadId);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, UploadRecord>> GetManyAsync(IReadOnlyCollection<string> uploadIds, CancellationToken ct)
    {
        await using var c = _db.Open();
        return await UploadRows.ReadManyAsync(c, uploadIds, ct);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UploadRecord>> ListByStatusAsync(UploadStatus status, int limit, CancellationToken ct)
    {
        await using var c = _db.Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {UploadRows.Columns} FROM {UploadsTable} WHERE status = $st ORDER BY received_at, upload_id LIMIT $n";
        cmd.Parameters.Add(P("st", status.ToWire()));
        cmd.Parameters.Add(P("n", limit));
        var list = new List<UploadRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(UploadRows.Read(r));
        return list;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<UploadRecord>> ListRecentAsync(int limit, CancellationToken ct)
    {
        await using var c = _db.Open();
        await using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT {UploadRows.Columns} FROM {UploadsTable} ORDER BY received_at DESC, upload_id DESC LIMIT $n";
        cmd.Parameters.Add(P("n", limit));
        var list = new List<UploadRecord>();
        await using var r = await cmd.ExecuteReaderAsync(ct);
        while (await r.ReadAsync(ct)) list.Add(UploadRows.Read(r));
        return list;
    }

    /// <inheritdoc />
    public async Task MarkFailedAsync(string uploadId, string reason, CancellationToken ct)
    {
        await _writeLock.WaitAsync(ct);
        try
        {
            await using var c = _db.Open();
            await ExecuteAsync(c, $"""
                UPDATE {UploadsTable} SET status = 'failed', error = $e, completed_at = $at, attempts = attempts + 1
                WHERE upload_id = $id AND status = 'stored'
                """, ct, P("id", uploadId), P("e", reason), P("at", _time.GetUtcNow().UtcDateTime));
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Stops taking registrations and waits for the queued ones to commit.</summary>
    public void Dispose()
    {
        _registrations.Writer.TryComplete();
        _registrar.Join(TimeSpan.FromSeconds(10));
        _writeLock.Dispose();
    }

    private sealed record PendingRegistration(UploadRecord Candidate, TaskCompletionSource<RegisterResult> Done);

    /// <summary>
    /// The registrar: a thread of its own, not the thread pool's. Every upload waits for it, and it runs one group at a time,
    /// so its latency is the ceiling on how many uploads a second can register; on the thread pool each of its steps queued
    /// behind the requests it was serving. It keeps one connection, so a group opens none.
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
                try
                {
                    // Opened inside the try: a failure to open fails this group's uploads, not the registrar's thread.
                    var results = RegisterWithLookupIfNeeded(connection ??= _db.Open(), batch);
                    for (var i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(results[i]);
                }
                catch (Exception) when (batch.Count > 1)
                {
                    // One bad candidate must not fail its neighbours: register them one by one.
                    foreach (var p in batch)
                    {
                        try { p.Done.TrySetResult(RegisterBatch(connection ??= _db.Open(), [p], lookup: true)[0]); }
                        catch (Exception e) { p.Done.TrySetException(e); }
                    }
                }
                catch (Exception e)
                {
                    batch[0].Done.TrySetException(e);
                }
                if (batch.Exists(p => p.Done.Task.IsFaulted))
                {
                    // Whatever failed may have left the connection unusable (an invalidated database): the next group opens anew.
                    connection?.Dispose();
                    connection = null;
                }
            }
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private RegisterResult[] RegisterWithLookupIfNeeded(DuckDB.NET.Data.DuckDBConnection c, List<PendingRegistration> batch)
    {
        if (!batch.Exists(p => _known.MayContain(p.Candidate.Dataset, p.Candidate.Sha256)))
        {
            // Bytes never seen: append without a lookup. The one thing that can still collide is an upload id registered
            // before (registration is idempotent on it); the primary key refuses that batch, and the lookup answers it.
            try { return RegisterBatch(c, batch, lookup: false); }
            catch (DuckDB.NET.Data.DuckDBException) { Interlocked.Increment(ref _refusals); }
        }
        return RegisterBatch(c, batch, lookup: true);
    }

    private RegisterResult[] RegisterBatch(DuckDB.NET.Data.DuckDBConnection c, IReadOnlyList<PendingRegistration> batch, bool lookup)
    {
        _writeLock.Wait();
        try
        {
            // Without a lookup the group is one appender flush and nothing else, which DuckDB commits as one transaction of its
            // own (every row or none; a group is smaller than the appender's flush count): an explicit BEGIN and COMMIT
            // would be two more statements on the path every upload waits for.
            using var tx = lookup ? c.BeginTransaction() : null;
            var byId = new Dictionary<string, UploadRecord>(StringComparer.Ordinal);
            var byContent = new Dictionary<(string, string), UploadRecord>();
            if (lookup)
            {
                Interlocked.Increment(ref _lookups);
                using var cmd = c.CreateCommand();
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
            var retries = new List<UploadRecord>();
            using (var appender = c.CreateAppender(UploadsTable))
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    var candidate = batch[i].Candidate;
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
                        retries.Add(retried);
                        byContent[(candidate.Dataset, candidate.Sha256)] = byId[retried.UploadId] = retried;
                        results[i] = new RegisterResult(RegisterOutcome.Retry, retried);
                        continue;
                    }
                    var created = candidate with
                    {
                        Status = UploadStatus.Stored, RowsLoaded = 0, RowsRejected = 0, Errors = [], Error = null,
                        ProcessingStartedAt = null, CompletedAt = null, Attempts = 0,
                    };
                    UploadRows.Append(appender, created);
                    // Before the commit: a filter that holds a pair the ledger lacks (the commit failed) only costs a lookup.
                    _known.Add(created.Dataset, created.Sha256);
                    byContent[(created.Dataset, created.Sha256)] = byId[created.UploadId] = created;
                    results[i] = new RegisterResult(RegisterOutcome.Created, created);
                }
            }
            foreach (var retried in retries)
            {
                using var cmd = c.CreateCommand();
                cmd.CommandText = $"UPDATE {UploadsTable} SET status = 'stored', object = $o, error = NULL, completed_at = NULL, traceparent = $tp WHERE upload_id = $id";
                cmd.Parameters.AddRange([P("id", retried.UploadId), P("o", retried.Object), P("tp", retried.TraceParent)]);
                cmd.ExecuteNonQuery();
            }
            tx?.Commit();
            Interlocked.Increment(ref _commits);
            return results;
        }
        finally
        {
            _writeLock.Release();
        }
    }
}
