namespace Tarmac.Core.Uploads;

/// <summary>
/// The custom metadata ingest writes with every raw object (<c>x-goog-meta-*</c> on Cloud Storage): who sent it and how,
/// so that a registration can be rebuilt from the object alone. The embedded ledger does that for small uploads, whose
/// segment record is their registration; only the content's hash is computed again from the bytes.
/// </summary>
public static class RawObjectMetadata
{
    /// <summary>The upload id (also in the object's name).</summary>
    public const string UploadId = "upload_id";

    /// <summary>The dataset (also in the object's name).</summary>
    public const string Dataset = "dataset";

    /// <summary>The file name the client gave, if any.</summary>
    public const string FileName = "file_name";

    /// <summary>The W3C <c>traceparent</c> of the request that sent the bytes.</summary>
    public const string TraceParent = "traceparent";

    /// <summary>How the client names itself (its user agent), as the ledger keeps it.</summary>
    public const string Client = "client";

    /// <summary>The content type the client declared, as the ledger keeps it.</summary>
    public const string ContentType = "content_type";
}
