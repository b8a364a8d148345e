using Microsoft.Extensions.Configuration;

namespace Tarmac.ServiceDefaults;

/// <summary>Settings shared by all functions, read from <c>TARMAC_*</c> environment variables.</summary>
public sealed class TarmacOptions
{
    /// <summary><c>local</c> (embedded adapters, the default) or <c>gcp</c>.</summary>
    [ConfigurationKeyName("TARMAC_BACKEND")]
    public string Backend { get; set; } = "local";

    /// <summary>Where the local backend keeps its bucket and warehouse; created on first run.</summary>
    [ConfigurationKeyName("TARMAC_DATA_DIR")]
    public string DataDir { get; set; } = "data";

    /// <summary>Folder of dataset schema files; default <c>./schemas</c>, else the copy next to the binaries.</summary>
    [ConfigurationKeyName("TARMAC_SCHEMAS")]
    public string? Schemas { get; set; }

    /// <summary>Largest upload accepted on a direct POST, in bytes (after decompression).</summary>
    [ConfigurationKeyName("TARMAC_MAX_UPLOAD_BYTES")]
    public long? MaxUploadBytes { get; set; }

    /// <summary>How long the loader waits to gather small uploads into one batch.</summary>
    [ConfigurationKeyName("TARMAC_BATCH_WINDOW_MS")]
    public int BatchWindowMs { get; set; } = 25;

    /// <summary>Most uploads loaded in one batch.</summary>
    [ConfigurationKeyName("TARMAC_BATCH_MAX_UPLOADS")]
    public int BatchMaxUploads { get; set; } = 1000;

    /// <summary>Uploads of at least this many bytes are loaded by DuckDB's CSV reader (the bulk path); 0 for all, -1 for none.</summary>
    [ConfigurationKeyName("TARMAC_BULK_THRESHOLD_BYTES")]
    public long BulkThresholdBytes { get; set; } = 16L << 20;

    /// <summary>Longest <c>?wait=true</c> waits before answering 202 with the current status.</summary>
    [ConfigurationKeyName("TARMAC_WAIT_TIMEOUT_SECONDS")]
    public int WaitTimeoutSeconds { get; set; } = 120;

    /// <summary>
    /// Longest a query may run before it is cancelled in the warehouse and answered 503 with Retry-After
    /// (counted until the response starts; a streaming export then runs as long as the client reads).
    /// </summary>
    [ConfigurationKeyName("TARMAC_QUERY_TIMEOUT_MS")]
    public int QueryTimeoutMs { get; set; } = 10_000;

    /// <summary>DuckDB's memory cap for the local warehouse; beyond it, work spills to disk.</summary>
    [ConfigurationKeyName("TARMAC_DUCKDB_MEMORY_LIMIT")]
    public string DuckDbMemoryLimit { get; set; } = "256MB";

    /// <summary>Local warehouse: pages up to this many rows are answered from one query and buffered; larger ones stream.</summary>
    [ConfigurationKeyName("TARMAC_BUFFERED_PAGE_ROWS")]
    public int BufferedPageRows { get; set; } = 10_000;

    public bool IsLocal => string.Equals(Backend, "local", StringComparison.OrdinalIgnoreCase);

    /// <summary>True for <c>TARMAC_BACKEND=gcp</c>: Cloud Storage, Pub/Sub push and BigQuery.</summary>
    public bool IsGoogleCloud => string.Equals(Backend, "gcp", StringComparison.OrdinalIgnoreCase);

    /// <summary>The effective upload limit: 4 GiB locally, 32 MiB on Google Cloud (API Gateway and Cloud Run cap bodies there).</summary>
    public long EffectiveMaxUploadBytes => MaxUploadBytes ?? (IsLocal ? 4L << 30 : 32L << 20);

    /// <summary>Resolves the schema folder.</summary>
    public string ResolveSchemas()
    {
        if (!string.IsNullOrWhiteSpace(Schemas)) return Path.GetFullPath(Schemas);
        var cwd = Path.GetFullPath("schemas");
        return Directory.Exists(cwd) ? cwd : Path.Combine(AppContext.BaseDirectory, "schemas");
    }
}
