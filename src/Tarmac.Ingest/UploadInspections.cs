using Tarmac.Core.Datasets;
using Tarmac.Core.Uploads;

namespace Tarmac.Ingest;

/// <summary>Picks the inspection of an upload's format.</summary>
public static class UploadInspections
{
    /// <summary>CSV: <see cref="InspectingUploadStream"/> (header checked); JSON and NDJSON: <see cref="InspectingJsonStream"/>.</summary>
    public static IUploadInspection Open(IncomingUpload incoming, DatasetSchema dataset, long maxBytes) => incoming.Format == UploadFormat.Csv
        ? new InspectingUploadStream(incoming.Csv, dataset, maxBytes, incoming.Compressed)
        : new InspectingJsonStream(incoming.Csv, incoming.Format, maxBytes, incoming.Compressed);
}
