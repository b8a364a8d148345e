using Tarmac.Core.Datasets;
using Tarmac.Core.Uploads;

namespace Tarmac.Core.Ports;

/// <summary>
/// Where validated rows go. The process function owns validation and the outcome of each upload; the warehouse
/// gives it a <see cref="ILoadSession"/>, one unit of work in which a batch's rows and outcomes land together or not at all.
/// </summary>
public interface IWarehouseLoader
{
    /// <summary>Begins a unit of work for <paramref name="batch"/> and reads each upload's current ledger record within it.</summary>
    Task<ILoadSession> BeginAsync(IReadOnlyList<LoadRequest> batch, CancellationToken ct);
}

/// <summary>One upload to load: its ledger record, its dataset, and how to read its bytes.</summary>
public sealed record LoadRequest(UploadRecord Upload, DatasetSchema Dataset, Func<CancellationToken, Task<Stream>> OpenAsync);
