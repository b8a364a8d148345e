using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Embedded;
using Tarmac.Process;
using Tarmac.ServiceDefaults;

namespace Tarmac.Tests.Embedded;

/// <summary>Loads uploads into a database through process's loader, as the pump does, with no host and no bucket.</summary>
internal static class DirectLoads
{
    /// <summary>Loads <paramref name="uploads"/> (records and their bytes) into the flights table in one batch.</summary>
    public static async Task<IReadOnlyList<UploadRecord>> FlightsAsync(DuckDbDatabase db, SchemaCatalog catalog, params (UploadRecord Upload, byte[] Bytes)[] uploads)
    {
        using var warehouse = new DuckDbWarehouseLoader(db, TimeProvider.System);
        var loader = new UploadLoader(warehouse, new TarmacOptions(), TimeProvider.System);
        catalog.TryGet("flights", out var flights);
        return await loader.LoadAsync([.. uploads.Select(u => new LoadRequest(u.Upload, flights!, _ => Task.FromResult<Stream>(new MemoryStream(u.Bytes))))], default);
    }
}
