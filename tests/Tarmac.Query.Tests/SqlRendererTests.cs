using Tarmac.Core.Datasets;
using Tarmac.Core.Query;
using Tarmac.Embedded;
using Tarmac.GoogleCloud.BigQuery;

namespace Tarmac.Query.Tests;

/// <summary>The SQL both dialects get, pinned: identifiers quoted from the schema, every value a typed named parameter.</summary>
public class SqlRendererTests
{
    private static readonly CursorKey Key = CursorKey.Random();
    private static readonly DatasetSchema Flights = SchemaCatalog.Parse("flights", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", "flights.json")));
    private static readonly DatasetSchema Typed = SchemaCatalog.Parse("typed", Generate.TypedSchema);
    private static readonly DateTimeOffset Snapshot = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    private static RowsRequest Rows(DatasetSchema ds, string query) =>
        QueryGrammar.ParseRows(ds, query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1])));

    private static StatsRequest Stats(DatasetSchema ds, string query) =>
        QueryGrammar.ParseStats(ds, query.Split('&', StringSplitOptions.RemoveEmptyEntries).Select(p => p.Split('=', 2)).Select(p => KeyValuePair.Create(p[0], p[1])));

    private static RenderedSql Duck(RowsQuery q) => DuckDbSql.Renderer(q.Dataset).Rows(q);
    private static RenderedSql Duck(StatsQuery q) => DuckDbSql.Renderer(q.Dataset).Stats(q);
    private static RenderedSql DuckBoundary(RowsQuery q) => DuckDbSql.Renderer(q.Dataset).PageBoundary(q);
    private static RenderedSql Bq(RowsQuery q, string projectDataset) => BigQuerySql.Renderer(q.Dataset, projectDataset).Rows(q);
    private static RenderedSql Bq(StatsQuery q, string projectDataset) => BigQuerySql.Renderer(q.Dataset, projectDataset).Stats(q);
    private static RenderedSql BqCount(RowsQuery q, string projectDataset) => BigQuerySql.Renderer(q.Dataset, projectDataset).Count(q);

    private static string Types(RenderedSql r) => string.Join(", ", r.Parameters.Select(p => $"{p.Name}:{p.BigQueryType}={p.BigQueryValue}"));

    [Fact]
    public void A_snapshot_known_to_cover_every_row_drops_the_loaded_at_predicate_but_no_snapshot_still_shows_nothing()
    {
        var q = Rows(Flights, "fields=id&carrier=UA").ToQuery(Flights, null, Snapshot);
        var covered = DuckDbSql.Renderer(Flights, snapshotCoversAllRows: true).Rows(q);
        Assert.Equal("""SELECT "id" FROM "flights" WHERE TRUE AND "carrier" = $p0 ORDER BY "_upload_id", "_line" LIMIT $p1""", covered.Sql);
        var none = DuckDbSql.Renderer(Flights, snapshotCoversAllRows: true).Rows(q with { Snapshot = null });
        Assert.StartsWith("""SELECT "id" FROM "flights" WHERE FALSE AND""", none.Sql, StringComparison.Ordinal);
    }

    [Fact]
    public void Default_rows_query()
    {
        var q = Rows(Flights, "fields=id,carrier").ToQuery(Flights, null, Snapshot);
        var duck = Duck(q);
        Assert.Equal("""SELECT "id", "carrier" FROM "flights" WHERE "_loaded_at" <= $p0 ORDER BY "_upload_id", "_line" LIMIT $p1""", duck.Sql);
        var bq = Bq(q, "my-project.tarmac");
        Assert.Equal("SELECT `id`, `carrier` FROM `my-project.tarmac.flights` WHERE `_loaded_at` <= @p0 ORDER BY `_upload_id`, `_line` LIMIT @p1", bq.Sql);
        Assert.Equal("p0:TIMESTAMP=2026-01-02 03:04:05.000000+00:00, p1:INT64=10", Types(bq));
    }

    [Fact]
    public void Filters_of_every_shape_become_parameters()
    {
        var q = Rows(Typed, "i__in=1,2&f__between=-1.5,2&s__startswith=al'pha&b__isnull=false&d__gte=2024-01-05&t__lt=2024-01-01T10:00:00Z&n__ne=1.25&fields=k&limit=50")
            .ToQuery(Typed, null, Snapshot);
        var bq = Bq(q, "my-project.tarmac");
        Assert.Equal(
            "SELECT `k` FROM `my-project.tarmac.typed` WHERE `_loaded_at` <= @p0 AND `i` IN (@p1, @p2) AND `f` BETWEEN @p3 AND @p4 AND STARTS_WITH(`s`, @p5) " +
            "AND `b` IS NOT NULL AND `d` >= @p6 AND `t` < @p7 AND `n` <> @p8 ORDER BY `_upload_id`, `_line` LIMIT @p9", bq.Sql);
        Assert.Equal("p0:TIMESTAMP=2026-01-02 03:04:05.000000+00:00, p1:INT64=1, p2:INT64=2, p3:FLOAT64=-1.5, p4:FLOAT64=2, p5:STRING=al'pha, " +
            "p6:DATE=2024-01-05, p7:TIMESTAMP=2024-01-01 10:00:00.000000+00:00, p8:NUMERIC=1.25, p9:INT64=50", Types(bq));
        var duck = Duck(q);
        Assert.Equal(
            """SELECT "k" FROM "typed" WHERE "_loaded_at" <= $p0 AND "i" IN ($p1, $p2) AND "f" BETWEEN $p3 AND $p4 AND starts_with("s", $p5) """ +
            """AND "b" IS NOT NULL AND "d" >= $p6 AND "t" < $p7 AND "n" <> $p8 ORDER BY "_upload_id", "_line" LIMIT $p9""", duck.Sql);
        Assert.DoesNotContain("al'pha", duck.Sql + bq.Sql);
    }

    [Fact]
    public void A_cursor_page_continues_after_the_last_row_with_nulls_last()
    {
        var request = Rows(Flights, "sort=-dep_delay,carrier&fields=id&limit=5");
        var after = new KeysetPosition([12.5, null], "01a2", 7);
        var bq = Bq(request.ToQuery(Flights, after, Snapshot), "my-project.tarmac");
        Assert.Equal(
            "SELECT `id` FROM `my-project.tarmac.flights` WHERE `_loaded_at` <= @p0 AND (" +
            "((`dep_delay` < @p1 OR `dep_delay` IS NULL)) OR " +
            "(`dep_delay` = @p2 AND `carrier` IS NULL AND `_upload_id` > @p3) OR " +
            "(`dep_delay` = @p4 AND `carrier` IS NULL AND `_upload_id` = @p5 AND `_line` > @p6)) " +
            "ORDER BY `dep_delay` DESC NULLS LAST, `carrier` ASC NULLS LAST, `_upload_id`, `_line` LIMIT @p7", bq.Sql);
        Assert.Equal("p0:TIMESTAMP=2026-01-02 03:04:05.000000+00:00, p1:FLOAT64=12.5, p2:FLOAT64=12.5, p3:STRING=01a2, p4:FLOAT64=12.5, p5:STRING=01a2, p6:INT64=7, p7:INT64=5", Types(bq));
        var boundary = DuckBoundary(request.ToQuery(Flights, null, Snapshot));
        Assert.Equal("""SELECT "dep_delay", "carrier", "_upload_id", "_line" FROM "flights" WHERE "_loaded_at" <= $p0 ORDER BY "dep_delay" DESC NULLS LAST, "carrier" ASC NULLS LAST, "_upload_id", "_line" LIMIT 2 OFFSET $p1""", boundary.Sql);
        Assert.Equal(4L, boundary.Parameters[1].Value);
    }

    [Fact]
    public void Stats_query_in_both_dialects()
    {
        var q = Stats(Flights, "group_by=carrier,origin&metrics=count,sum:dep_time,avg:dep_delay,p95:arr_delay&min_count=5&sort=-count&month=1").ToQuery(Snapshot);
        Assert.Equal(
            "SELECT `carrier`, `origin`, COUNT(*) AS `count`, SUM(`dep_time`) AS `sum_dep_time`, CAST(AVG(`dep_delay`) AS FLOAT64) AS `avg_dep_delay`, " +
            "CAST(APPROX_QUANTILES(`arr_delay`, 100 IGNORE NULLS)[SAFE_OFFSET(95)] AS FLOAT64) AS `p95_arr_delay` FROM `my-project.tarmac.flights` " +
            "WHERE `_loaded_at` <= @p0 AND `month` = @p1 GROUP BY `carrier`, `origin` HAVING COUNT(*) >= @p2 " +
            "ORDER BY `count` DESC NULLS LAST, `carrier` ASC NULLS LAST, `origin` ASC NULLS LAST LIMIT @p3",
            Bq(q, "my-project.tarmac").Sql);
        Assert.Equal("p0:TIMESTAMP=2026-01-02 03:04:05.000000+00:00, p1:INT64=1, p2:INT64=5, p3:INT64=100", Types(Bq(q, "my-project.tarmac")));
        Assert.Equal(
            """SELECT "carrier", "origin", COUNT(*) AS "count", CAST(SUM("dep_time") AS BIGINT) AS "sum_dep_time", CAST(AVG("dep_delay") AS DOUBLE) AS "avg_dep_delay", """ +
            """CAST(quantile_cont("arr_delay", 0.95) AS DOUBLE) AS "p95_arr_delay" FROM "flights" WHERE "_loaded_at" <= $p0 AND "month" = $p1 GROUP BY "carrier", "origin" """ +
            """HAVING COUNT(*) >= $p2 ORDER BY "count" DESC NULLS LAST, "carrier" ASC NULLS LAST, "origin" ASC NULLS LAST LIMIT $p3""",
            Duck(q).Sql);
    }

    [Fact]
    public void Count_and_an_empty_dataset()
    {
        var q = Rows(Flights, "carrier__notin=UA,AA").ToQuery(Flights, null, null);
        Assert.Equal("SELECT COUNT(*) FROM `my-project.tarmac.flights` WHERE FALSE AND `carrier` NOT IN (@p0, @p1)", BqCount(q, "my-project.tarmac").Sql);
        Assert.Throws<ArgumentException>(() => Bq(q, "p.d`; DROP TABLE x; --"));
    }

    [Fact]
    public void Cursors_round_trip_and_refuse_edits_and_other_queries()
    {
        var request = Rows(Typed, "sort=-t,n,d&limit=5");
        var position = new KeysetPosition([new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(10), 1.25m, null], "01a2", 42);
        var cursor = Cursor.Encode(request, Snapshot, position, Key);
        var (snapshot, back) = Cursor.Decode(request, cursor, Key);
        Assert.Equal(Snapshot, snapshot);
        Assert.Equal(position.SortValues, back.SortValues);
        Assert.Equal(("01a2", 42L), (back.UploadId, back.Line));

        Assert.Equal("cursor", Assert.Throws<BadQueryParameterException>(() => Cursor.Decode(Rows(Typed, "sort=-t,n,d&limit=5&b=true"), cursor, Key)).Parameter);
        Assert.Throws<BadQueryParameterException>(() => Cursor.Decode(request, "x" + cursor, Key));
        Assert.Throws<BadQueryParameterException>(() => Cursor.Decode(request, cursor.Replace('.', '!'), Key));
        Assert.Throws<BadQueryParameterException>(() => Cursor.Decode(request, "bm90IGpzb24.AAAAAAAAAAAAAAAAAAAAAA", Key));
        // A cursor made without the server's key (as anyone could make the old keyless digest) is refused.
        Assert.Throws<BadQueryParameterException>(() => Cursor.Decode(request, Cursor.Encode(request, Snapshot, position, CursorKey.Random()), Key));
    }
}
