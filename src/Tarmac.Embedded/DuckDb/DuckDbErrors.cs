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
        e is DuckDBException { ErrorType: DuckDBErrorType.OutOfMemory } || (e.InnerException is { } inner && IsOutOfMemory(inner));

    /// <summary>The failure as one that callers retry (the loader keeps the upload stored; HTTP answers 503).</summary>
    public static TransientFailureException Transient(Exception e) =>
        new("The warehouse is out of memory for the moment; the work is tried again.", e);
}
