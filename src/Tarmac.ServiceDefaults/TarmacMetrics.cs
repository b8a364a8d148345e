using System.Diagnostics.Metrics;

namespace Tarmac.ServiceDefaults;

/// <summary>Tarmac's own counters, exported at <c>/metrics</c> (and mirrored in structured logs for Cloud Logging metrics).</summary>
public sealed class TarmacMetrics
{
    public TarmacMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(TarmacDefaults.MeterName);
        UploadsReceived = meter.CreateCounter<long>("tarmac.uploads.received", description: "Uploads accepted by ingest");
        UploadBytes = meter.CreateCounter<long>("tarmac.uploads.bytes", unit: "By", description: "Bytes stored by ingest");
        UploadsProcessed = meter.CreateCounter<long>("tarmac.uploads.processed", description: "Uploads that reached an outcome");
        RowsLoaded = meter.CreateCounter<long>("tarmac.rows.loaded", description: "Rows loaded into the warehouse");
        RowsRejected = meter.CreateCounter<long>("tarmac.rows.rejected", description: "Rows rejected by validation");
        UploadsRefused = meter.CreateCounter<long>("tarmac.uploads.refused",
            description: "Uploads refused before their body was read (503), by reason: concurrent_uploads or loads_behind");
    }

    public Counter<long> UploadsReceived { get; }
    public Counter<long> UploadBytes { get; }
    public Counter<long> UploadsProcessed { get; }
    public Counter<long> RowsLoaded { get; }
    public Counter<long> RowsRejected { get; }
    public Counter<long> UploadsRefused { get; }
}
