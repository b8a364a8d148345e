using Tarmac.Core.Datasets;
using Tarmac.Core.Uploads;

namespace Tarmac.Ingest;

/// <summary>An upload's bytes on their way to the bucket, checked by its format's rules as they stream.</summary>
public interface IUploadInspection : IDisposable
{
    /// <summary>The stream to store: the body, read through the checks (a check that fails throws <see cref="UploadRejectedException"/>).</summary>
    Stream Body { get; }

    /// <summary>Lower-case hex SHA-256 of everything read; valid once <see cref="Body"/> reached its end.</summary>
    string Sha256 { get; }
}

/// <summary>Picks the inspection of an upload's format.</summary>
public static class UploadInspections
{
    /// <summary>CSV: <see cref="InspectingUploadStream"/> (header checked); JSON and NDJSON: <see cref="InspectingJsonStream"/>.</summary>
    public static IUploadInspection Open(IncomingUpload incoming, DatasetSchema dataset, long maxBytes) => incoming.Format == UploadFormat.Csv
        ? new CsvInspection(new InspectingUploadStream(incoming.Csv, dataset, maxBytes, incoming.Compressed))
        : new InspectingJsonStream(incoming.Csv, incoming.Format, maxBytes, incoming.Compressed);

    private sealed class CsvInspection(InspectingUploadStream stream) : IUploadInspection
    {
        public Stream Body => stream;
        public string Sha256 => stream.Sha256;
        public void Dispose() => stream.Dispose();
    }
}
