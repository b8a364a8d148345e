using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;
using Tarmac.ServiceDefaults;

namespace Tarmac.Process;

/// <summary>
/// Where rows are validated and each upload's outcome decided: every row of every upload of a batch is checked against its
/// dataset's schema by the reader of its format, CSV or JSON (or, for CSV, loaded by the warehouse's own fast path, which gives the same outcome), accepted rows go into the
/// warehouse's load session, all-or-nothing datasets lose every row of an upload with one bad row, and the rows and the
/// outcomes commit together.
/// </summary>
public sealed class UploadLoader(IWarehouseLoader warehouse, TarmacOptions options, TimeProvider time)
{
    /// <summary>
    /// Validates and loads a batch of uploads (all in status stored) as one unit of work. Uploads whose status is no
    /// longer stored (a duplicate delivery) are left alone and reported with their current record.
    /// </summary>
    /// <returns>The updated record of each upload, in request order.</returns>
    public async Task<IReadOnlyList<UploadRecord>> LoadAsync(IReadOnlyList<LoadRequest> batch, CancellationToken ct)
    {
        await using var session = await warehouse.BeginAsync(batch, ct);
        var results = new UploadRecord[batch.Count];
        var loaded = new List<int>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < batch.Count; i++)
        {
            var req = batch[i];
            if (!session.Current.TryGetValue(req.Upload.UploadId, out var record) || record.Status != UploadStatus.Stored || !seen.Add(record.UploadId))
            {
                results[i] = record ?? req.Upload; // a redelivery of something already settled: no-op
                continue;
            }
            var result = Oversize(req) ?? await TryLoadFastAsync(session, req, ct) ?? await ValidateIntoAsync(session, req, ct);
            if (req.Dataset.Options.AllOrNothing && (result.RowsRejected > 0 || result.FileError is not null) && result.RowsAccepted > 0)
            {
                await session.DiscardRowsAsync(req, ct);
                result.RowsAccepted = 0;
            }
            results[i] = Settle(record, result, session.StartedAt);
            loaded.Add(i);
        }
        var committed = await session.CommitAsync(loaded.Select(i => results[i]).ToList(), ct);
        for (var k = 0; k < loaded.Count; k++) results[loaded[k]] = committed[k];
        return results;
    }

    /// <summary>
    /// A file over <c>TARMAC_MAX_OBJECT_BYTES</c> is rejected from its size, unread: a signed resumable upload URL cannot
    /// bound the size of what a client sends.
    /// </summary>
    private ValidationResult? Oversize(LoadRequest req) => req.Upload.Bytes <= options.MaxObjectBytes ? null
        : ValidationResult.ForFileError($"The file is {req.Upload.Bytes:N0} bytes; the most a file may have is {options.MaxObjectBytes:N0} bytes. Split it and upload the parts.");

    /// <summary>A warehouse's fast path reads CSV (DuckDB's <c>read_csv</c>); a JSON upload always takes the C# reader.</summary>
    private static Task<ValidationResult?> TryLoadFastAsync(ILoadSession session, LoadRequest req, CancellationToken ct) =>
        UploadFormats.FromObjectName(req.Upload.Object) == UploadFormat.Csv ? session.TryLoadFastAsync(req, ct) : Task.FromResult<ValidationResult?>(null);

    private static async Task<ValidationResult> ValidateIntoAsync(ILoadSession session, LoadRequest req, CancellationToken ct)
    {
        await using var rows = await session.OpenRowsAsync(req, ct);
        await using var body = await req.OpenAsync(ct);
        // Runs on the batch's own pool thread (the pump or the push batcher, never a request); a row writer that blocks
        // while its destination drains (BigQuery staging) blocks only that thread. The object's name says its format.
        var result = await UploadValidator.ValidateAsync(body, req.Upload.Object, req.Dataset, rows, ct);
        await rows.CompleteAsync(ct);
        return result;
    }

    private UploadRecord Settle(UploadRecord upload, ValidationResult result, DateTimeOffset startedAt) => upload with
    {
        Status = UploadStatuses.OutcomeOf(result.RowsAccepted, result.RowsRejected, result.FileError),
        RowsLoaded = result.RowsAccepted,
        RowsRejected = result.RowsRejected,
        Errors = result.Errors,
        Error = null,
        ProcessingStartedAt = startedAt,
        CompletedAt = time.GetUtcNow(),
        Attempts = upload.Attempts + 1,
    };
}
