namespace Tarmac.Cli.Upload;

/// <summary>When the CLI compresses a direct upload.</summary>
public enum GzipMode
{
    /// <summary>Files of at least 1 MiB sent to a host that is not on this machine (compression costs CPU and saves only network).</summary>
    Auto,

    /// <summary>Always (the server accepts <c>Content-Encoding: gzip</c>).</summary>
    Always,

    /// <summary>Never.</summary>
    Never,
}

/// <summary>How <c>tarmac upload</c> sends files.</summary>
/// <param name="Dataset">The dataset the files are for.</param>
/// <param name="DirectLimitBytes">Files larger than this go through <c>POST /uploads</c> (default: the 30 MiB direct cap on Google Cloud).</param>
/// <param name="ChunkBytes">Chunk size of a resumable upload (a multiple of 256 KiB).</param>
/// <param name="Gzip">When direct uploads are compressed.</param>
public sealed record UploadSettings(string Dataset, long DirectLimitBytes, long ChunkBytes, GzipMode Gzip)
{
    /// <summary>Direct POSTs are capped at 30 MiB on Google Cloud (TarmacDefaults.CloudRunMaxUploadBytes, under Cloud Run's 32 MiB).</summary>
    public const long DefaultDirectLimitBytes = 30L << 20;

    /// <summary>16 MiB chunks: few requests, and at most that much sent again after a dropped connection.</summary>
    public const long DefaultChunkBytes = 16L << 20;

    /// <summary>Smallest file <see cref="GzipMode.Auto"/> compresses.</summary>
    public const long AutoGzipMinBytes = 1L << 20;
}
