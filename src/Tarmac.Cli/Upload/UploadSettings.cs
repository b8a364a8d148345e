namespace Tarmac.Cli.Upload;

/// <summary>How <c>tarmac upload</c> sends files.</summary>
/// <param name="Dataset">The dataset the files are for.</param>
/// <param name="DirectLimitBytes">Files larger than this go through <c>POST /uploads</c> (default: the 30 MiB direct cap on Google Cloud).</param>
/// <param name="ChunkBytes">Chunk size of a resumable upload (a multiple of 256 KiB).</param>
/// <param name="Gzip">When direct uploads are compressed.</param>
public sealed record UploadSettings(string Dataset, long DirectLimitBytes, long ChunkBytes, GzipMode Gzip)
{
    /// <summary>The direct cap on Google Cloud (30 MiB, under the 32 MiB request limit of Cloud Run and API Gateway).</summary>
    public const long DefaultDirectLimitBytes = Tarmac.ServiceDefaults.TarmacDefaults.CloudRunMaxUploadBytes;

    /// <summary>16 MiB chunks: few requests, and at most that much sent again after a dropped connection.</summary>
    public const long DefaultChunkBytes = 16L << 20;

    /// <summary>Smallest file <see cref="GzipMode.Auto"/> compresses.</summary>
    public const long AutoGzipMinBytes = 1L << 20;
}
