using System.Net;
using DuckDB.NET.Data;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Datasets;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Embedded;

/// <summary>
/// The memory, thread and checkpoint settings reach DuckDB: read back with <c>current_setting</c> over a real database file, on connections
/// opened after the first (the ones the loader and reader use), and from the host's environment settings.
/// </summary>
public sealed class DuckDbSettingsTests
{
    private static SchemaCatalog Catalog() => SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas"));

    [Fact]
    public void Memory_limit_threads_and_checkpoint_threshold_hold_on_every_connection()
    {
        using var db = new DuckDbDatabase(Path.Combine(TempDirs.Create("settings"), "warehouse.duckdb"), Catalog(), "64MB", threads: 1, checkpointThreshold: "32MB");
        for (var i = 0; i < 2; i++)
        {
            // DuckDB prints 64 MB (10^6 bytes) in MiB.
            Assert.Equal("61.0 MiB", Setting(db, "memory_limit"));
            Assert.Equal("1", Setting(db, "threads"));
            Assert.Equal("30.5 MiB", Setting(db, "checkpoint_threshold"));
        }
    }

    [Fact]
    public void Threads_zero_and_no_threshold_leave_duckdbs_own_defaults()
    {
        using var db = new DuckDbDatabase(Path.Combine(TempDirs.Create("settings"), "warehouse.duckdb"), Catalog(), "64MB");
        using var plain = new DuckDBConnection("Data Source=:memory:");
        plain.Open();
        using var cmd = plain.CreateCommand();
        cmd.CommandText = "SELECT current_setting('threads')::VARCHAR";
        Assert.Equal((string)cmd.ExecuteScalar()!, Setting(db, "threads"));
        cmd.CommandText = "SELECT current_setting('checkpoint_threshold')::VARCHAR";
        Assert.Equal((string)cmd.ExecuteScalar()!, Setting(db, "checkpoint_threshold"));
    }

    [Fact]
    public async Task The_host_passes_its_environment_settings_to_duckdb()
    {
        using var host = new TarmacHost(settings: new Dictionary<string, string?>
        {
            ["TARMAC_DUCKDB_MEMORY_LIMIT"] = "96MB",
            ["TARMAC_DUCKDB_THREADS"] = "1",
            ["TARMAC_DUCKDB_CHECKPOINT_THRESHOLD"] = "128MB",
        });
        using var ready = await host.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var db = host.Services.GetRequiredService<DuckDbDatabase>();
        Assert.Equal("91.5 MiB", Setting(db, "memory_limit"));
        Assert.Equal("1", Setting(db, "threads"));
        Assert.Equal("122.0 MiB", Setting(db, "checkpoint_threshold"));
    }

    [Fact]
    public async Task The_host_checkpoints_every_64MB_of_log_by_default()
    {
        using var host = new TarmacHost();
        using var ready = await host.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("61.0 MiB", Setting(host.Services.GetRequiredService<DuckDbDatabase>(), "checkpoint_threshold"));
    }

    [Fact]
    public void A_checkpoint_threshold_that_is_not_a_size_is_named_at_startup()
    {
        var problems = new EmbeddedOptions { DuckDbCheckpointThreshold = "lots" }.Problems().ToList();
        Assert.Equal(["TARMAC_DUCKDB_CHECKPOINT_THRESHOLD 'lots' must look like 64MB or 1GB."], problems);
    }

    [Fact]
    public void A_negative_thread_count_is_named_at_startup()
    {
        var problems = new EmbeddedOptions { DuckDbThreads = -1 }.Problems().ToList();
        Assert.Equal(["TARMAC_DUCKDB_THREADS '-1' must be a number of threads, or 0 for one per core."], problems);
    }

    private static string Setting(DuckDbDatabase db, string name)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        // The name is a constant of this test, never input.
        cmd.CommandText = $"SELECT current_setting('{name}')::VARCHAR";
        return (string)cmd.ExecuteScalar()!;
    }
}
