using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Datasets;
using Tarmac.Core.Query;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Query.Tests;

/// <summary>Tests that load while they query, each on its own host.</summary>
public class FreshnessTests
{
    private static (TarmacHost Host, GeneratedDataset Typed) NewHost(IReadOnlyDictionary<string, string?>? settings = null)
    {
        var schemas = Generate.SchemaDir();
        SchemaCatalog.Load(schemas).TryGet("typed", out var typed);
        return (new TarmacHost(schemaDir: schemas, settings: settings), new GeneratedDataset(typed));
    }

    [Fact]
    public async Task Etag_and_last_modified_change_after_a_new_load()
    {
        var (host, typed) = NewHost();
        using var _ = host;
        await Generate.UploadAsync(host, "typed", typed.AddUpload(0, Generate.TypedRows(0, 50, 7)));
        var before = await host.Http.GetAsync("/datasets/typed/rows?b=true");
        await Generate.UploadAsync(host, "typed", typed.AddUpload(1, Generate.TypedRows(50, 50, 8)));

        using var conditional = new HttpRequestMessage(HttpMethod.Get, "/datasets/typed/rows?b=true");
        conditional.Headers.IfNoneMatch.Add(before.Headers.ETag!);
        var after = await host.Http.SendAsync(conditional);
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.NotEqual(before.Headers.ETag, after.Headers.ETag);
        Assert.True(after.Content.Headers.LastModified >= before.Content.Headers.LastModified);
        var (_, info) = await host.GetJsonAsync("/datasets/typed");
        Assert.Equal(2, info.GetProperty("version").GetInt64());
    }

    [Fact]
    public async Task The_version_held_in_memory_is_the_committed_one_after_every_load()
    {
        var (host, typed) = NewHost();
        using var _ = host;
        var db = host.Services.GetRequiredService<DuckDbDatabase>();
        var reader = new DuckDbWarehouseReader(db);
        Assert.Equal(new DatasetVersion(0, null), await reader.GetVersionAsync(typed.Schema, default));
        for (var i = 0; i < 3; i++)
        {
            await Generate.UploadAsync(host, "typed", typed.AddUpload(i, Generate.TypedRows(100 * i, 10, 20 + i)));
            var held = await reader.GetVersionAsync(typed.Schema, default);
            Assert.Equal(ReadCommitted(db, "typed"), held);
            Assert.Equal(i + 1, held.Version);
        }
    }

    private static DatasetVersion ReadCommitted(DuckDbDatabase db, string dataset)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT version, last_loaded_at FROM _tarmac_datasets WHERE dataset = $d";
        cmd.Parameters.Add(new DuckDB.NET.Data.DuckDBParameter("d", dataset));
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        return new DatasetVersion(r.GetInt64(0), new DateTimeOffset(DateTime.SpecifyKind(r.GetDateTime(1), DateTimeKind.Utc)));
    }

    [Fact]
    public async Task A_walk_sees_the_data_of_its_first_page_even_while_uploads_land()
    {
        var (host, typed) = NewHost();
        using var _ = host;
        await Generate.UploadAsync(host, "typed", typed.AddUpload(0, Generate.TypedRows(0, 300, 9)));
        var expected = Canon.SortLikeApi(typed.Rows.Where(r => r["i"] is >= 0L), ("f", true)).Select(r => Canon.Of(r["k"])).ToList();

        var seen = new List<string>();
        string? next = "/datasets/typed/rows?i__gte=0&sort=-f&fields=k&limit=20";
        var upload = 1;
        while (next is not null)
        {
            var (response, body) = await host.GetJsonAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            seen.AddRange(body.Column("k", ColumnType.Integer));
            next = response.NextLink();
            // New rows that match the filter and sort anywhere (f spans the whole range) land between pages.
            if (upload <= 3) await Generate.UploadAsync(host, "typed", typed.AddUpload(upload, Generate.TypedRows(1000 * upload, 40, 10 + upload++)));
        }
        Assert.Equal(expected, seen);

        var fresh = await host.GetJsonAsync("/datasets/typed/rows?i__gte=0&sort=-f&fields=k&limit=10000");
        Assert.Equal(typed.Rows.Count(r => r["i"] is >= 0L), fresh.Body.GetArrayLength());
        Assert.True(fresh.Body.GetArrayLength() > expected.Count);
    }

    [Fact]
    public async Task A_query_over_the_time_limit_is_stopped_and_answered_503_with_retry_after()
    {
        var (host, _) = NewHost(new Dictionary<string, string?> { ["TARMAC_QUERY_TIMEOUT_MS"] = "1" });
        using var __ = host;
        await Generate.UploadAsync(host, "flights", SampleData.SeedCsv);
        BulkInsertFlights(host.Services.GetRequiredService<DuckDbDatabase>(), 2_000_000);

        foreach (var url in new[] { "/stats?group_by=tailnum,flight&metrics=p95:dep_delay,p50:arr_delay", "/getdata?sort=-name,-dep_delay&count=true" })
        {
            var response = await host.Http.GetAsync(url);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType!.MediaType);
            Assert.True(response.Headers.RetryAfter!.Delta > TimeSpan.Zero);
            Assert.Null(response.Headers.ETag);
            Assert.Equal(503, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("status").GetInt32());
        }
        Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/readyz")).StatusCode);
    }

    [Fact]
    public async Task Cancelling_interrupts_the_running_duckdb_query_and_the_warehouse_keeps_answering()
    {
        var schemas = Generate.SchemaDir();
        var catalog = SchemaCatalog.Load(schemas);
        catalog.TryGet("flights", out var flights);
        using var db = new DuckDbDatabase(Path.Combine(TempDirs.Create("interrupt"), "w.duckdb"), catalog);
        var warehouse = new DuckDbWarehouseReader(db);
        BulkInsertFlights(db, 1_500_000);
        await using (var c = db.Open())
        await using (var cmd = c.CreateCommand())
        {
            cmd.CommandText = "INSERT INTO _tarmac_datasets VALUES ('flights', 1, TIMESTAMP '2030-01-01')";
            await cmd.ExecuteNonQueryAsync();
        }
        var version = await warehouse.GetVersionAsync(flights, default);
        var heavy = new StatsQuery(flights, [Col(flights, "id")], [new Metric(MetricFunction.P95, Col(flights, "dep_delay")), new Metric(MetricFunction.P50, Col(flights, "arr_delay"))],
            [], null, [new OutputSortKey("p95_dep_delay", true)], 10, version.LastLoadedAt);

        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        var e = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => warehouse.QueryStatsAsync(heavy, new CountingWriter(), cts.Token));
        // DuckDB itself reported the interrupt from the running query's result: it was stopped, not skipped or left to finish.
        Assert.Equal(cts.Token, e.CancellationToken);
        Assert.Equal("DuckDB.NET.Data", e.InnerException?.Source);
        Assert.True(await warehouse.PingAsync(default));
        Assert.Equal(1_500_000, await warehouse.CountAsync(RowsQuery.All(flights, version.LastLoadedAt), default));
    }

    private static ColumnSchema Col(DatasetSchema ds, string name) => ds.TryGetColumn(name, out var c) ? c : throw new ArgumentException(name);

    /// <summary>Rows straight into DuckDB (older than any load), to make queries heavy without uploading gigabytes.</summary>
    private static void BulkInsertFlights(DuckDbDatabase db, int rows)
    {
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"""
            INSERT INTO flights SELECT i, 2013, 1 + i % 12, 1 + i % 28, i % 2400, i % 2400, (i * 7919) % 1000 - 100.0, i % 2400, i % 2400, (i * 104729) % 997 - 50.0,
              'C' || (i % 17), CAST(i % 5000 AS VARCHAR), 'N' || (i % 100000), 'EWR', 'LAX', 100.0, 1000.0, 5, 0, TIMESTAMP '2013-01-01', 'Bulk ' || (i % 1000),
              '00000000000000000000000000000000', i, TIMESTAMP '2000-01-01'
            FROM range({rows}) t(i)
            """;
        cmd.ExecuteNonQuery();
    }

    private sealed class CountingWriter : IRowWriter
    {
        public ValueTask BeginAsync(IReadOnlyList<ResultColumn> columns, CancellationToken ct) => ValueTask.CompletedTask;
        public ValueTask WriteRowAsync(IResultRow row, CancellationToken ct) => ValueTask.CompletedTask;
    }
}
