using Tarmac.Core.Datasets;
using Tarmac.Core.Query;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Embedded;

/// <summary>
/// The embedded reader leaves out the <c>_loaded_at</c> predicate only when it cannot change the answer: the rows
/// a statement sees must be exactly those loaded at or before the snapshot, whether the predicate ran or not.
/// </summary>
public sealed class SnapshotPredicateTests : IDisposable
{
    private static readonly DateTimeOffset First = new(2026, 3, 1, 10, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Second = First.AddMinutes(5);

    private readonly DuckDbDatabase _db;
    private readonly DuckDbWarehouseReader _reader;
    private readonly DatasetSchema _flights;

    public SnapshotPredicateTests()
    {
        var catalog = SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas"));
        catalog.TryGet("flights", out var flights);
        _flights = flights!;
        _db = new DuckDbDatabase(Path.Combine(TempDirs.Create("snapshot"), "warehouse.duckdb"), catalog);
        _reader = new DuckDbWarehouseReader(_db);
    }

    [Fact]
    public async Task A_load_that_is_committing_keeps_the_predicate_and_its_rows_stay_out_of_an_older_snapshot()
    {
        Insert(rows: 3, at: First);
        SetVersion(1, First);
        Assert.Equal(new DatasetVersion(1, First), await _reader.GetVersionAsync(_flights, default));
        Assert.True(_db.Versions.Covers("flights", First, out _));

        // A load commits: its rows are visible to new statements before the cache knows its version.
        _db.Versions.CommitStarting();
        Insert(rows: 2, at: Second);
        Assert.False(_db.Versions.Covers("flights", First, out _));
        Assert.Equal(3, await _reader.CountAsync(RowsQuery.All(_flights, First), default));

        _db.Versions.Committed("flights", new DatasetVersion(2, Second));
        _db.Versions.CommitEnded();
        Assert.False(_db.Versions.Covers("flights", First, out _)); // the walk's snapshot is older than the latest load
        Assert.Equal(3, await _reader.CountAsync(RowsQuery.All(_flights, First), default));
        Assert.True(_db.Versions.Covers("flights", Second, out _));
        Assert.Equal(5, await _reader.CountAsync(RowsQuery.All(_flights, Second), default));
    }

    [Fact]
    public async Task While_a_load_commits_the_version_comes_from_the_database_so_its_rows_are_readable_at_once()
    {
        Insert(rows: 3, at: First);
        SetVersion(1, First);
        Assert.Equal(new DatasetVersion(1, First), await _reader.GetVersionAsync(_flights, default)); // now held in memory

        // The load's commit is visible (its status may already have been answered "loaded"); its version is not set yet.
        _db.Versions.CommitStarting();
        Insert(rows: 2, at: Second);
        SetVersion(2, Second);
        var version = await _reader.GetVersionAsync(_flights, default);
        Assert.Equal(new DatasetVersion(2, Second), version);
        Assert.Equal(5, await _reader.CountAsync(RowsQuery.All(_flights, version.LastLoadedAt), default));
        _db.Versions.CommitEnded();
    }

    [Fact]
    public async Task Nothing_is_covered_before_the_first_load_or_without_a_snapshot()
    {
        Assert.Equal(new DatasetVersion(0, null), await _reader.GetVersionAsync(_flights, default));
        Assert.False(_db.Versions.Covers("flights", First, out _));
        Assert.False(_db.Versions.Covers("flights", null, out _));
        Insert(rows: 1, at: First);
        Assert.Equal(0, await _reader.CountAsync(RowsQuery.All(_flights, null), default));
    }

    public void Dispose() => _db.Dispose();

    private void Insert(int rows, DateTimeOffset at)
    {
        using var c = _db.Open();
        using var cmd = c.CreateCommand();
        var values = string.Join(", ", _flights.Columns.Select(col => col.Type switch
        {
            ColumnType.Integer => "i",
            ColumnType.Float or ColumnType.Numeric => "0",
            ColumnType.Boolean => "FALSE",
            ColumnType.String => "'x'",
            ColumnType.Date => "DATE '2013-01-01'",
            _ => "TIMESTAMP '2013-01-01'",
        }));
        cmd.CommandText = $"INSERT INTO flights SELECT {values}, 'u-' || CAST(i AS VARCHAR), i, $at FROM range({rows}) t(i)";
        cmd.Parameters.Add(new DuckDB.NET.Data.DuckDBParameter("at", at.UtcDateTime));
        cmd.ExecuteNonQuery();
    }

    private void SetVersion(long version, DateTimeOffset at)
    {
        using var c = _db.Open();
        // The table has no key to replace on (DuckDbDatabase): the row goes, and comes back with this version.
        using (var delete = c.CreateCommand())
        {
            delete.CommandText = "DELETE FROM _tarmac_datasets WHERE dataset = 'flights'";
            delete.ExecuteNonQuery();
        }
        using var cmd = c.CreateCommand();
        cmd.CommandText = "INSERT INTO _tarmac_datasets VALUES ('flights', $v, $at)";
        cmd.Parameters.Add(new DuckDB.NET.Data.DuckDBParameter("v", version));
        cmd.Parameters.Add(new DuckDB.NET.Data.DuckDBParameter("at", at.UtcDateTime));
        cmd.ExecuteNonQuery();
    }
}
