namespace Tarmac.Core.Uploads;

/// <summary>Where an upload is in its life. Serialized in snake_case (<c>partially_loaded</c>).</summary>
public enum UploadStatus
{
    /// <summary>The bytes are durably stored; rows not loaded yet.</summary>
    Stored,
    /// <summary>Every row loaded.</summary>
    Loaded,
    /// <summary>Good rows loaded; bad rows reported.</summary>
    PartiallyLoaded,
    /// <summary>Nothing loaded because of the data (bad header, every row bad, or all-or-nothing).</summary>
    Rejected,
    /// <summary>An internal error stopped processing; posting the same bytes again retries it.</summary>
    Failed,
}

/// <summary>Wire names of <see cref="UploadStatus"/>.</summary>
public static class UploadStatuses
{
    public static string ToWire(this UploadStatus s) => s switch
    {
        UploadStatus.Stored => "stored",
        UploadStatus.Loaded => "loaded",
        UploadStatus.PartiallyLoaded => "partially_loaded",
        UploadStatus.Rejected => "rejected",
        UploadStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(s)),
    };

    public static UploadStatus FromWire(string s) => s switch
    {
        "stored" => UploadStatus.Stored,
        "loaded" => UploadStatus.Loaded,
        "partially_loaded" => UploadStatus.PartiallyLoaded,
        "rejected" => UploadStatus.Rejected,
        "failed" => UploadStatus.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(s), s, "unknown upload status"),
    };

    /// <summary>
    /// The outcome of a processed upload from what validation found: rejected when the file was unusable or no row
    /// loaded while some were bad, partially loaded when some rows were rejected, loaded otherwise.
    /// </summary>
    public static UploadStatus OutcomeOf(long rowsLoaded, long rowsRejected, string? fileError) =>
        fileError is not null || (rowsLoaded == 0 && rowsRejected > 0) ? UploadStatus.Rejected
        : rowsRejected > 0 ? UploadStatus.PartiallyLoaded
        : UploadStatus.Loaded;

    /// <summary>True once processing has ended, successfully or not.</summary>
    public static bool IsFinal(this UploadStatus s) => s != UploadStatus.Stored;
}
