using Microsoft.Extensions.Configuration;

namespace Tarmac.Embedded;

/// <summary>Settings of the embedded backend, read from <c>TARMAC_*</c> environment variables.</summary>
public sealed class EmbeddedOptions
{
    /// <summary>Where the bucket and the warehouse live, relative to the working directory; created on first run.</summary>
    [ConfigurationKeyName("TARMAC_DATA_DIR")]
    public string DataDir { get; set; } = "data";

    /// <summary>DuckDB's memory cap; beyond it, work spills to disk beside the database.</summary>
    [ConfigurationKeyName("TARMAC_DUCKDB_MEMORY_LIMIT")]
    public string DuckDbMemoryLimit { get; set; } = "256MB";

    /// <summary>
    /// How many threads DuckDB runs a statement on; 0 leaves DuckDB's default (one per core). Each thread keeps its own
    /// buffers (CSV reader, sort and insert state) inside the memory cap, so fewer threads trade speed for memory.
    /// </summary>
    [ConfigurationKeyName("TARMAC_DUCKDB_THREADS")]
    public int DuckDbThreads { get; set; }

    /// <summary>
    /// How much write-ahead log DuckDB lets commits leave before one checkpoints it into the database file. A stream of
    /// small loads that checkpoints every 16 MiB (DuckDB's default) falls behind its uploads (bench/RESULTS.md); the cost
    /// of a larger log is a longer replay after a crash, and more uncheckpointed rows held in the buffer pool.
    /// </summary>
    [ConfigurationKeyName("TARMAC_DUCKDB_CHECKPOINT_THRESHOLD")]
    public string DuckDbCheckpointThreshold { get; set; } = "64MB";

    /// <summary>Uploads of at least this many bytes are loaded by DuckDB's CSV reader (the bulk path); 0 for all, -1 for none.</summary>
    [ConfigurationKeyName("TARMAC_BULK_THRESHOLD_BYTES")]
    public long BulkThresholdBytes { get; set; } = DuckDbWarehouseLoader.DefaultBulkThresholdBytes;

    /// <summary>
    /// Uploads that end within this many bytes are appended to a shared segment file of the bucket, one flush for every
    /// upload waiting; larger ones get their own file. 0 gives every upload its own file.
    /// </summary>
    [ConfigurationKeyName("TARMAC_SEGMENT_MAX_OBJECT_BYTES")]
    public int SegmentMaxObjectBytes { get; set; } = FileSystemObjectStore.DefaultSegmentMaxObjectBytes;

    /// <summary>The data folder as an absolute path.</summary>
    public string DataPath => Path.GetFullPath(DataDir);

    /// <summary>What is wrong with the settings, one sentence each; empty when they are usable.</summary>
    public IEnumerable<string> Problems()
    {
        if (string.IsNullOrWhiteSpace(DataDir)) yield return "TARMAC_DATA_DIR must name a folder.";
        if (!DuckDbDatabase.IsSize(DuckDbMemoryLimit))
            yield return $"TARMAC_DUCKDB_MEMORY_LIMIT '{DuckDbMemoryLimit}' must look like 256MB or 1GB.";
        if (!DuckDbDatabase.IsSize(DuckDbCheckpointThreshold))
            yield return $"TARMAC_DUCKDB_CHECKPOINT_THRESHOLD '{DuckDbCheckpointThreshold}' must look like 64MB or 1GB.";
        if (DuckDbThreads < 0) yield return $"TARMAC_DUCKDB_THREADS '{DuckDbThreads}' must be a number of threads, or 0 for one per core.";
        if (SegmentMaxObjectBytes is < 0 or > FileSystemObjectStore.MaxSegmentMaxObjectBytes)
            yield return $"TARMAC_SEGMENT_MAX_OBJECT_BYTES must be a size in bytes from 0 (no segments) to {FileSystemObjectStore.MaxSegmentMaxObjectBytes}.";
        if (BulkThresholdBytes < -1) yield return "TARMAC_BULK_THRESHOLD_BYTES must be a size in bytes, 0 (every file) or -1 (none).";
    }
}
