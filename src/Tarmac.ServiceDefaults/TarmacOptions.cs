using Microsoft.Extensions.Configuration;

namespace Tarmac.ServiceDefaults;

/// <summary>Settings shared by all functions, read from <c>TARMAC_*</c> environment variables.</summary>
public sealed class TarmacOptions
{
    /// <summary>Folder of dataset schema files; default <c>./schemas</c>, else the copy next to the binaries.</summary>
    [ConfigurationKeyName("TARMAC_SCHEMAS")]
    public string? Schemas { get; set; }

    /// <summary>Largest upload accepted on a direct POST, in bytes (after decompression).</summary>
    [ConfigurationKeyName("TARMAC_MAX_UPLOAD_BYTES")]
    public long? MaxUploadBytes { get; set; }

    /// <summary>
    /// Largest raw object process loads, in bytes; larger ones are rejected from their metadata without being read. It
    /// bounds what a signed resumable upload URL (which no size can be signed into) may make the system read.
    /// </summary>
    [ConfigurationKeyName("TARMAC_MAX_OBJECT_BYTES")]
    public long MaxObjectBytes { get; set; } = 4L << 30;

    /// <summary>
    /// Longest staged work waits for its load: locally, how long the loader gathers small uploads into one batch; on Google
    /// Cloud, how long after an upload is staged this instance flushes its dataset (Cloud Scheduler's <c>POST /flush</c>
    /// runs every max(1, ⌈window/1 min⌉) minutes as well, so the load happens even if this instance stops).
    /// </summary>
    [ConfigurationKeyName("TARMAC_BATCH_WINDOW_MS")]
    public int BatchWindowMs { get; set; } = 25;

    /// <summary>Most uploads loaded in one batch.</summary>
    [ConfigurationKeyName("TARMAC_BATCH_MAX_UPLOADS")]
    public int BatchMaxUploads { get; set; } = 1000;

    /// <summary>Longest <c>?wait=true</c> waits before answering 202 with the current status.</summary>
    [ConfigurationKeyName("TARMAC_WAIT_TIMEOUT_SECONDS")]
    public int WaitTimeoutSeconds { get; set; } = 120;

    /// <summary>
    /// Most <c>?wait=true</c> requests waiting at once per host. Beyond it an upload is stored and registered as usual but
    /// answered 202 with its status URL at once, instead of holding one more request (and its socket) open.
    /// </summary>
    [ConfigurationKeyName("TARMAC_MAX_WAITERS")]
    public int MaxWaiters { get; set; } = 256;

    /// <summary>
    /// Most direct uploads receiving and storing their bytes at once per host. Beyond it an upload is answered 503 with
    /// <c>Retry-After</c> before its body is read; waiting for an outcome afterwards does not count (see <see cref="MaxWaiters"/>).
    /// </summary>
    [ConfigurationKeyName("TARMAC_MAX_CONCURRENT_UPLOADS")]
    public int MaxConcurrentUploads { get; set; } = 64;

    /// <summary>
    /// Most uploads accepted and not yet loaded, where the backend counts them (the local host). Beyond it a new upload is
    /// answered 503 with <c>Retry-After: 1</c> before its body is read, until the loads catch up; 0 for no limit. The
    /// default is about a second of the local host's loads.
    /// </summary>
    [ConfigurationKeyName("TARMAC_MAX_PENDING_LOADS")]
    public int MaxPendingLoads { get; set; } = 5000;

    /// <summary>
    /// Longest a query may run before it is cancelled in the warehouse and answered 503 with Retry-After
    /// (counted until the response starts; a streaming export then runs as long as the client reads).
    /// </summary>
    [ConfigurationKeyName("TARMAC_QUERY_TIMEOUT_MS")]
    public int QueryTimeoutMs { get; set; } = 10_000;

    /// <summary>
    /// Longest a response may take from its first byte (a slow reader of a large export holds a warehouse connection that
    /// long); then it is cut off: NDJSON with a last <c>{"$error": …}</c> line, CSV and JSON by aborting the connection.
    /// A time span, <c>hh:mm:ss</c>; default 10 minutes.
    /// </summary>
    [ConfigurationKeyName("TARMAC_EXPORT_TIME_LIMIT")]
    public TimeSpan ExportTimeLimit { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Pages up to this many rows (at most 10,000) are read in one query and held; larger ones (exports) stream.</summary>
    [ConfigurationKeyName("TARMAC_BUFFERED_PAGE_ROWS")]
    public int BufferedPageRows { get; set; } = 10_000;

    /// <summary>
    /// Largest upload accepted on a direct POST, in bytes (after decompression): <see cref="MaxUploadBytes"/>, else 4 GiB.
    /// A backend may lower the default (on Google Cloud, API Gateway and Cloud Run cap request bodies at 32 MiB, so the default there is 30 MiB).
    /// </summary>
    public long EffectiveMaxUploadBytes => MaxUploadBytes ?? DefaultMaxUploadBytes;

    /// <summary>The upload limit when <c>TARMAC_MAX_UPLOAD_BYTES</c> is not set (set by the hosting, never by configuration).</summary>
    public long DefaultMaxUploadBytes { get; internal set; } = 4L << 30;

    /// <summary>What is wrong with the settings, one sentence each; empty when they are usable.</summary>
    public IEnumerable<string> Problems()
    {
        if (MaxUploadBytes is < 1) yield return "TARMAC_MAX_UPLOAD_BYTES must be a positive number of bytes.";
        if (MaxObjectBytes < 1) yield return "TARMAC_MAX_OBJECT_BYTES must be a positive number of bytes.";
        if (BatchWindowMs < 0) yield return "TARMAC_BATCH_WINDOW_MS must be 0 or more.";
        if (BatchMaxUploads is < 1 or > 10_000) yield return "TARMAC_BATCH_MAX_UPLOADS must be between 1 and 10000.";
        if (WaitTimeoutSeconds < 0) yield return "TARMAC_WAIT_TIMEOUT_SECONDS must be 0 or more.";
        if (MaxWaiters < 0) yield return "TARMAC_MAX_WAITERS must be 0 or more.";
        if (MaxConcurrentUploads < 1) yield return "TARMAC_MAX_CONCURRENT_UPLOADS must be at least 1.";
        if (MaxPendingLoads < 0) yield return "TARMAC_MAX_PENDING_LOADS must be 0 (no limit) or more.";
        if (QueryTimeoutMs < 1) yield return "TARMAC_QUERY_TIMEOUT_MS must be at least 1.";
        if (ExportTimeLimit <= TimeSpan.Zero || ExportTimeLimit > TimeSpan.FromDays(1)) yield return "TARMAC_EXPORT_TIME_LIMIT must be a time span (hh:mm:ss) over 0 and at most 1.00:00:00.";
        if (BufferedPageRows is < 0 or > 10_000) yield return "TARMAC_BUFFERED_PAGE_ROWS must be between 0 and 10000.";
    }

    /// <summary>Resolves the schema folder.</summary>
    public string ResolveSchemas()
    {
        if (!string.IsNullOrWhiteSpace(Schemas)) return Path.GetFullPath(Schemas);
        var cwd = Path.GetFullPath("schemas");
        return Directory.Exists(cwd) ? cwd : Path.Combine(AppContext.BaseDirectory, "schemas");
    }
}
