using DuckDB.NET.Data;
using DuckDB.NET.Native;
using Tarmac.Core.Ports;

namespace Tarmac.Embedded;

/// <summary>
/// DuckDB failures that pass by themselves. Out of memory means the buffer pool (<c>TARMAC_DUCKDB_MEMORY_LIMIT</c>) is
/// full of other work for the moment, such as large exports: the same statement succeeds once that work is done.
/// </summary>
internal static class DuckDbErrors
{
    public static bool IsOutOfMemory(Exception e) =>
        e is DuckDBException { ErrorType: DuckDBErrorType.OutOfMemory } || IsCommitOutOfMemory(e)
        // Some paths (a streamed result's next chunk) report it with no error type, only the message DuckDB prefixes with it.
        || e is DuckDBException { Message: var m } && m.StartsWith("Out of Memory Error:", StringComparison.Ordinal)
        || (e.InnerException is { } inner && IsOutOfMemory(inner));

    // A commit that runs out of memory is reported as a transaction error ("Failed to commit: failed to pin block of size
    // 256.0 KiB (15.1 MiB/15.2 MiB used)"), not as out of memory: the same failure, as passing as the others.
    private static bool IsCommitOutOfMemory(Exception e) =>
        e is DuckDBException d
        && d.Message.Contains("Failed to commit", StringComparison.Ordinal)
        && (d.Message.Contains("failed to pin", StringComparison.OrdinalIgnoreCase) || d.Message.Contains("failed to allocate", StringComparison.OrdinalIgnoreCase)
            || d.Message.Contains("out of memory", StringComparison.OrdinalIgnoreCase));

    /// <summary>The failure as one that callers retry (the loader keeps the upload stored; HTTP answers 503).</summary>
    public static TransientFailureException Transient(Exception e) =>
        new("The warehouse is out of memory for the moment; the work is tried again.", e);
}
