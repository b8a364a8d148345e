namespace Tarmac.Ingest;

/// <summary>Text shared by the size-limit answers.</summary>
public static class UploadLimits
{
    /// <summary>Where to go with a file over the direct-upload limit.</summary>
    public const string LargeFileHint = "For larger files, POST /uploads to get a resumable upload URL, or split the file.";
}
