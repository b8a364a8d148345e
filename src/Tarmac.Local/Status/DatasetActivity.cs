namespace Tarmac.Local.Status;

/// <summary>One dataset's hour: uploads received, rows loaded and rejected, and how fresh its table is.</summary>
/// <param name="Name">The dataset.</param>
/// <param name="Uploads">Uploads accepted in the hour (a re-posted duplicate is not counted).</param>
/// <param name="RowsLoaded">Rows loaded into the warehouse in the hour.</param>
/// <param name="RowsRejected">Rows rejected by validation in the hour.</param>
/// <param name="UploadsPerMinute">Uploads accepted in each minute.</param>
/// <param name="RowsLoadedPerMinute">Rows loaded in each minute.</param>
/// <param name="LastLoadedAt">When rows were last loaded, at any time, or null if never.</param>
/// <param name="SecondsSinceLastLoad">Age of the latest load at <see cref="StatusSummary.GeneratedAt"/>, or null if never.</param>
public sealed record DatasetActivity(
    string Name,
    long Uploads,
    long RowsLoaded,
    long RowsRejected,
    IReadOnlyList<long> UploadsPerMinute,
    IReadOnlyList<long> RowsLoadedPerMinute,
    DateTimeOffset? LastLoadedAt,
    double? SecondsSinceLastLoad);
