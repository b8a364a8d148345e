using Tarmac.Core.Datasets;
using Tarmac.Core.Uploads;

namespace Tarmac.Core.Ports;

/// <summary>
/// Loads validated rows into the dataset tables. An upload's rows and its ledger status change
/// together: a load either lands completely with its outcome recorded, or not at all.
/// </summary>
public interface IWarehouseLoader
{
    /// <summary>
    /// Validates and loads a batch of uploads (all in status stored) as one unit of work. Uploads whose
    /// status is no longer stored (a duplicate delivery) are skipped and reported with their current record.
    /// </summary>
    /// <returns>The updated record of each upload, in request order.</returns>
    Task<IReadOnlyList<UploadRecord>> LoadAsync(IReadOnlyList<LoadRequest> batch, CancellationToken ct);
}

/// <summary>One upload to load: its ledger record, its dataset, and how to read its bytes.</summary>
public sealed record LoadRequest(UploadRecord Upload, DatasetSchema Dataset, Func<CancellationToken, Task<Stream>> OpenAsync);

/// <summary>Reads dataset rows for the query function.</summary>
public interface IWarehouseReader
{
    /// <summary>The first <paramref name="limit"/> rows in load order, typed.</summary>
    Task<IReadOnlyList<IReadOnlyDictionary<string, object?>>> ReadFirstRowsAsync(DatasetSchema dataset, int limit, CancellationToken ct);

    /// <summary>True when the warehouse answers a trivial query (readiness).</summary>
    Task<bool> PingAsync(CancellationToken ct);
}
