using System.Data.Common;
using System.Text;
using System.Text.Json;
using DuckDB.NET.Data;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;

namespace Tarmac.Embedded;

/// <summary>
/// The embedded warehouse: one DuckDB file holding a table per dataset, the uploads ledger and the
/// dataset versions. Because data and ledger share one database, an upload's rows and its status
/// commit in one transaction: a redelivered event or a crash mid-load can neither duplicate nor lose rows.
/// </summary>
public sealed partial class DuckDbWarehouse : IUploadLedger, IWarehouseLoader, IWarehouseReader, IDisposable
{
    /// <summary>System columns appended to every dataset table (Terraform adds the same to BigQuery).</summary>
    public static readonly string[] SystemColumns = ["_upload_id", "_line", "_loaded_at"];

    private const string UploadsTable = "_tarmac_uploads";
    private const string VersionsTable = "_tarmac_datasets";
    private readonly string _connectionString;
    private readonly DuckDBConnection _anchor;
    private readonly SchemaCatalog _catalog;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _ledgerLock = new(1, 1);
    private readonly SemaphoreSlim _loadLock = new(1, 1);
    private readonly System.Threading.Channels.Channel<PendingRegistration> _registrations =
        System.Threading.Channels.Channel.CreateUnbounded<PendingRegistration>(new() { SingleReader = true });
    private readonly Task _registrar;

    /// <param name="path">The database file.</param>
    /// <param name="catalog">The datasets whose tables it holds.</param>
    /// <param name="time">Clock for ledger timestamps.</param>
    /// <param name="memoryLimit">
    /// DuckDB's buffer-pool cap, e.g. <c>256MB</c> (DuckDB's own default is 80% of RAM); larger work spills to a
    /// temp folder beside the file, so a huge upload costs disk, not memory.
    /// </param>
    public DuckDbWarehouse(string path, SchemaCatalog catalog, TimeProvider time, string? memoryLimit = null)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        if (memoryLimit is not null && !System.Text.RegularExpressions.Regex.IsMatch(memoryLimit, "^[0-9]+(\\.[0-9]+)?\\s*(KB|MB|GB|KiB|MiB|GiB)$"))
            throw new ArgumentException($"DuckDB memory limit '{memoryLimit}' must look like 256MB or 1GB.", nameof(memoryLimit));
        // Rows are always read in an explicit order (_upload_id, _line), never in insertion order, so DuckDB may
        // load in parallel without keeping it: that lets big loads stream through a small buffer pool.
        _connectionString = memoryLimit is null
            ? $"Data Source={full};preserve_insertion_order=false"
            : $"Data Source={full};preserve_insertion_order=false;memory_limit={memoryLimit};temp_directory={full}.tmp";
        _catalog = catalog;
        _time = time;
        // Held open for the process lifetime: DuckDB.NET shares one database instance among the
        // connections of a process while at least one is open, so later opens are cheap.
        _anchor = new DuckDBConnection(_connectionString);
        _anchor.Open();
        Initialize();
        _registrar = Task.Run(RunRegistrarAsync);
    }

    /// <summary>Opens a connection to the shared database instance (not thread-safe: one per operation).</summary>
    public DuckDBConnection Open()
    {
        var c = new DuckDBConnection(_connectionString);
        c.Open();
        return c;
    }

    private void Initialize()
    {
        var sql = new StringBuilder();
        sql.Append($"""
            CREATE TABLE IF NOT EXISTS {UploadsTable} (
              upload_id VARCHAR PRIMARY KEY, dataset VARCHAR NOT NULL, object VARCHAR NOT NULL, bytes BIGINT NOT NULL,
              sha256 VARCHAR NOT NULL, status VARCHAR NOT NULL, file_name VARCHAR, content_type VARCHAR, client VARCHAR,
              rows_loaded BIGINT NOT NULL DEFAULT 0, rows_rejected BIGINT NOT NULL DEFAULT 0, errors VARCHAR, error VARCHAR,
              received_at TIMESTAMP NOT NULL, processing_started_at TIMESTAMP, completed_at TIMESTAMP, attempts INTEGER NOT NULL DEFAULT 0);
            CREATE UNIQUE INDEX IF NOT EXISTS {UploadsTable}_content ON {UploadsTable}(dataset, sha256);
            CREATE TABLE IF NOT EXISTS {VersionsTable} (dataset VARCHAR PRIMARY KEY, version BIGINT NOT NULL, last_loaded_at TIMESTAMP NOT NULL);
            """);
        foreach (var ds in _catalog.Datasets)
        {
            sql.Append($"CREATE TABLE IF NOT EXISTS {DuckDbTypes.Quote(ds.Name)} (");
            foreach (var c in ds.Columns)
                sql.Append($"{DuckDbTypes.Quote(c.Name)} {DuckDbTypes.SqlType(c.Type)}{(c.Required ? " NOT NULL" : "")}, ");
            sql.Append("_upload_id VARCHAR NOT NULL, _line BIGINT NOT NULL, _loaded_at TIMESTAMP NOT NULL);\n");
        }
        using var cmd = _anchor.CreateCommand();
        cmd.CommandText = sql.ToString();
        cmd.ExecuteNonQuery();
        foreach (var ds in _catalog.Datasets) CheckTableMatches(ds);
    }

    private void CheckTableMatches(DatasetSchema ds)
    {
        using var cmd = _anchor.CreateCommand();
        cmd.CommandText = "SELECT column_name FROM information_schema.columns WHERE table_name = $t ORDER BY ordinal_position";
        cmd.Parameters.Add(new DuckDBParameter("t", ds.Name));
        var actual = new List<string>();
        using (var r = cmd.ExecuteReader()) while (r.Read()) actual.Add(r.GetString(0));
        var expected = ds.Columns.Select(c => c.Name).Concat(SystemColumns).ToList();
        if (!actual.SequenceEqual(expected))
            throw new InvalidOperationException(
                $"Table '{ds.Name}' in the warehouse has columns ({string.Join(", ", actual)}) but its schema file declares ({string.Join(", ", expected)}). " +
                "Schema changes need a migration: export the table, remove it, and reload.");
    }

    /// <inheritdoc />
    public async Task<bool> PingAsync(CancellationToken ct)
    {
        try
        {
            await using var c = Open();
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "SELECT 1";
            return Convert.ToInt32(await cmd.ExecuteScalarAsync(ct), System.Globalization.CultureInfo.InvariantCulture) == 1;
        }
        catch (Exception e) when (e is DbException or InvalidOperationException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _registrations.Writer.TryComplete();
        _registrar.Wait(TimeSpan.FromSeconds(10));
        _anchor.Dispose();
        _ledgerLock.Dispose();
        _loadLock.Dispose();
    }

    private static DuckDBParameter P(string name, object? value) => new(name, value ?? DBNull.Value);

    private static DateTime Utc(DateTimeOffset t) => t.UtcDateTime;

    private static DateTimeOffset? ReadTime(DbDataReader r, int i) =>
        r.IsDBNull(i) ? null : new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(i), DateTimeKind.Utc));

    private static readonly JsonSerializerOptions ErrorJson = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    internal static string SerializeErrors(IReadOnlyList<RowError> errors) => JsonSerializer.Serialize(errors, ErrorJson);

    internal static IReadOnlyList<RowError> DeserializeErrors(string? json) =>
        string.IsNullOrEmpty(json) ? [] : JsonSerializer.Deserialize<List<RowError>>(json, ErrorJson) ?? [];
}
