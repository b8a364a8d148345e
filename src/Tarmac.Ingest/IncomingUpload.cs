namespace Tarmac.Ingest;

/// <summary>One upload as the ingest routes hand it to <see cref="UploadService"/>: the CSV and what the client said about it.</summary>
/// <param name="Dataset">Name of the dataset to load into.</param>
/// <param name="Csv">The body's bytes (CSV, or JSON for <see cref="Format"/> JSON/NDJSON), already taken out of any form and decompressed.</param>
/// <param name="Compressed">The bytes arrived compressed: <paramref name="DeclaredLength"/> does not bound them, and a decoding fault is the compression's.</param>
/// <param name="FileName">The client's name for the file, if it gave one.</param>
/// <param name="ContentType">The content type the client declared, as sent.</param>
/// <param name="Client">How the client names itself (its user agent), if at all.</param>
/// <param name="DeclaredLength">The length the client declared for what it sent, if it did.</param>
/// <param name="Slot">Its place under <see cref="UploadGate"/>, given back once its bytes are stored.</param>
public sealed record IncomingUpload(
    string Dataset, Stream Csv, bool Compressed, string? FileName, string? ContentType, string? Client, long? DeclaredLength,
    UploadGate.Slot? Slot = null)
{
    /// <summary>How the bytes are laid out; it picks the checks on the way in and the raw object's extension.</summary>
    public Core.Uploads.UploadFormat Format { get; init; } = Core.Uploads.UploadFormat.Csv;
}
