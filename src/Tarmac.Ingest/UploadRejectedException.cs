namespace Tarmac.Ingest;

/// <summary>The upload is refused while it streams; <see cref="UploadService"/> turns it into an <see cref="UploadRefused"/>.</summary>
public sealed class UploadRejectedException(UploadRefusal reason, string title, string detail) : Exception(detail)
{
    /// <summary>The kind of refusal.</summary>
    public UploadRefusal Reason { get; } = reason;

    /// <summary>A short, fixed summary of the refusal; <see cref="Exception.Message"/> holds the detail.</summary>
    public string Title { get; } = title;
}
