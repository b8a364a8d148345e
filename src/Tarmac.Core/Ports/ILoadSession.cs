using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;

namespace Tarmac.Core.Ports;

/// <summary>
/// One unit of work of the warehouse: rows written through it and the outcomes passed to <see cref="CommitAsync"/>
/// become visible together. Disposing it without committing discards everything written.
/// </summary>
public interface ILoadSession : IAsyncDisposable
{
    /// <summary>
    /// The ledger's record of each upload of the batch as the session sees it, by id. Only uploads still
    /// <see cref="UploadStatus.Stored"/> are to be loaded; any other status is a redelivery of settled work.
    /// </summary>
    IReadOnlyDictionary<string, UploadRecord> Current { get; }

    /// <summary>
    /// When the unit of work began, by the warehouse's clock; every row written in it is stamped <c>_loaded_at</c> with
    /// this time. Loads are ordered, so it is never before an earlier load's commit: paging snapshots stay exact.
    /// </summary>
    DateTimeOffset StartedAt { get; }

    /// <summary>
    /// Loads the whole upload by a faster path of the warehouse's own, when it has one for this file, and returns what
    /// row-by-row validation would have found (the same rows accepted, the same errors). Null: validate it and write its rows.
    /// Rows are written as if the dataset accepted partial loads; all-or-nothing is applied with <see cref="DiscardRowsAsync"/>.
    /// </summary>
    Task<ValidationResult?> TryLoadFastAsync(LoadRequest request, CancellationToken ct);

    /// <summary>Opens the writer for the accepted rows of one upload.</summary>
    Task<IUploadRowWriter> OpenRowsAsync(LoadRequest request, CancellationToken ct);

    /// <summary>Throws away the rows written for an upload in this session (an all-or-nothing upload with a bad row).</summary>
    Task DiscardRowsAsync(LoadRequest request, CancellationToken ct);

    /// <summary>
    /// Makes the rows and the <paramref name="outcomes"/> (settled records of uploads of this batch) durable together.
    /// Returns the records as committed, in the same order.
    /// </summary>
    Task<IReadOnlyList<UploadRecord>> CommitAsync(IReadOnlyList<UploadRecord> outcomes, CancellationToken ct);
}

/// <summary>Receives the accepted rows of one upload; <see cref="CompleteAsync"/> once they are all written.</summary>
public interface IUploadRowWriter : IRowSink, IAsyncDisposable
{
    /// <summary>Every row was appended: flush them into the session.</summary>
    Task CompleteAsync(CancellationToken ct);
}
