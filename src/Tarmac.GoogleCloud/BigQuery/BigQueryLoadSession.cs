using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;
using Tarmac.GoogleCloud.State;

namespace Tarmac.GoogleCloud.BigQuery;

/// <summary>
/// One batch validated for BigQuery: rows are staged per upload while they are validated, and the commit records each
/// upload's outcome. An outcome with rows to load is recorded as staged (the upload stays <c>stored</c> until a flush
/// loads it); one with nothing to load is final at once.
/// </summary>
internal sealed class BigQueryLoadSession(BigQueryWarehouseLoader owner, IReadOnlyDictionary<string, UploadRecord> current, DateTimeOffset startedAt)
    : ILoadSession
{
    private readonly Dictionary<string, string> _stagedNames = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, UploadRecord> Current { get; } = current;

    public DateTimeOffset StartedAt { get; } = startedAt;

    public Task<ValidationResult?> TryLoadFastAsync(LoadRequest request, CancellationToken ct) => Task.FromResult<ValidationResult?>(null);

    /// <summary>
    /// Stages the rows under <c>staging/&lt;dataset&gt;/&lt;upload&gt;-&lt;generation&gt;.ndjson</c>: a name that is a function of
    /// the upload and its raw object alone, so every delivery of it, on any instance, stages the same object once.
    /// </summary>
    public async Task<IUploadRowWriter> OpenRowsAsync(LoadRequest request, CancellationToken ct)
    {
        var raw = await owner.Bucket.GetAsync(request.Upload.Object, ct) ?? throw new ObjectNotFoundException(request.Upload.Object);
        var name = $"{BigQueryWarehouseLoader.StagingPrefix}{request.Dataset.Name}/{request.Upload.UploadId}-{raw.Generation}.ndjson";
        _stagedNames[request.Upload.UploadId] = name;
        if (await owner.Bucket.GetAsync(name, ct) is not null) return new DiscardingWriter();
        return new StagedRowsWriter(owner.Bucket, name, request, raw.Generation, StartedAt, ct);
    }

    /// <summary>Nothing to undo: an upload whose outcome loads no row is never handed to a load job.</summary>
    public Task DiscardRowsAsync(LoadRequest request, CancellationToken ct) => Task.CompletedTask;

    public async Task<IReadOnlyList<UploadRecord>> CommitAsync(IReadOnlyList<UploadRecord> outcomes, CancellationToken ct)
    {
        var results = new UploadRecord[outcomes.Count];
        for (var i = 0; i < outcomes.Count; i++)
            results[i] = outcomes[i].RowsLoaded > 0 ? await StageAsync(outcomes[i], ct) : await SettleAsync(outcomes[i], ct);
        return results;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private async Task<UploadRecord> StageAsync(UploadRecord outcome, CancellationToken ct)
    {
        var staged = new StagedLoad(_stagedNames[outcome.UploadId], outcome.Status, outcome.RowsLoaded, outcome.RowsRejected, outcome.Errors, StartedAt);
        // The pending marker first: a crash between the two writes leaves a marker the flush skips, never staged rows
        // that no flush can find.
        await owner.Pending.MarkAsync(outcome.Dataset, outcome.UploadId, ct);
        var now = await owner.Ledger.UpdateAsync(outcome.UploadId, s => s.Upload.Status == UploadStatus.Stored && s.Staged is null
            ? s with { Upload = s.Upload with { ProcessingStartedAt = StartedAt, Attempts = outcome.Attempts }, Staged = staged } : null, ct);
        owner.Pending.Signal(outcome.Dataset);
        return now?.Upload ?? outcome;
    }

    private async Task<UploadRecord> SettleAsync(UploadRecord outcome, CancellationToken ct)
    {
        var now = await owner.Ledger.UpdateAsync(outcome.UploadId, s => s.Upload.Status == UploadStatus.Stored && s.Staged is null
            ? new UploadState(outcome, null) : null, ct);
        if (now?.Upload.Status.IsFinal() == true) await owner.Ledger.SettledAsync(now.Upload, ct);
        return now?.Upload ?? outcome;
    }

    /// <summary>The rows were staged by an earlier attempt: this pass only counts and explains them.</summary>
    private sealed class DiscardingWriter : IUploadRowWriter
    {
        public void Append(ReadOnlySpan<FieldValue> row, long line) { }
        public Task CompleteAsync(CancellationToken ct) => Task.CompletedTask;
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
