using System.Net;
using System.Text.Json;
using Tarmac.Core.Datasets;

namespace Tarmac.Query.Tests;

/// <summary>GET /getdata and /datasets/{name}/rows against expectations computed in LINQ over the generated rows.</summary>
public class RowsTests(LoadedHost fx) : IClassFixture<LoadedHost>
{
    public static readonly Dictionary<string, Func<Row, bool>> TypedFilters = new()
    {
        ["i=7"] = r => r["i"] is 7L,
        ["i__eq=7"] = r => r["i"] is 7L,
        ["i=7.0"] = r => r["i"] is 7L,
        ["i__ne=7"] = r => r["i"] is long v && v != 7,
        ["i__gt=10"] = r => r["i"] is long v && v > 10,
        ["i__gte=10"] = r => r["i"] is long v && v >= 10,
        ["i__lt=-10"] = r => r["i"] is long v && v < -10,
        ["i__lte=-10"] = r => r["i"] is long v && v <= -10,
        ["i__in=1,2,3,-5"] = r => r["i"] is 1L or 2L or 3L or -5L,
        ["i__notin=1,2,3"] = r => r["i"] is long v && v is not (1 or 2 or 3),
        ["i__between=-5,5"] = r => r["i"] is >= -5L and <= 5L,
        ["i__isnull=true"] = r => r["i"] is null,
        ["i__isnull=false"] = r => r["i"] is not null,
        ["f__gt=50.5"] = r => r["f"] is double v && v > 50.5,
        ["f__lte=0"] = r => r["f"] is double v && v <= 0,
        ["f__between=-10,10.5"] = r => r["f"] is >= -10.0 and <= 10.5,
        ["f__in=69.9,69.7,-7.1,0.5"] = r => r["f"] is 69.9 or 69.7 or -7.1 or 0.5,
        ["f__ne=12.3"] = r => r["f"] is double v && v != 12.3,
        ["n__gte=50.00"] = r => r["n"] is decimal v && v >= 50m,
        ["n__lt=10.5"] = r => r["n"] is decimal v && v < 10.5m,
        ["n__between=10,20"] = r => r["n"] is >= 10m and <= 20m,
        ["n__isnull=true"] = r => r["n"] is null,
        ["n__notin=1,2.5"] = r => r["n"] is decimal v && v != 1m && v != 2.5m,
        ["b=true"] = r => r["b"] is true,
        ["b=false"] = r => r["b"] is false,
        ["b=yes"] = r => r["b"] is true,
        ["b__ne=true"] = r => r["b"] is false,
        ["b__isnull=true"] = r => r["b"] is null,
        ["s=alpha"] = r => r["s"] is "alpha",
        ["s__ne=alpha"] = r => r["s"] is string v && v != "alpha",
        ["s__startswith=alp"] = r => r["s"] is string v && v.StartsWith("alp", StringComparison.Ordinal),
        ["s__startswith=A"] = r => r["s"] is string v && v.StartsWith('A'),
        ["s__in=alpha,beta"] = r => r["s"] is "alpha" or "beta",
        ["s__notin=alpha,beta"] = r => r["s"] is string v && v is not ("alpha" or "beta"),
        ["s__gt=b"] = r => r["s"] is string v && string.CompareOrdinal(v, "b") > 0,
        ["s=%3DSUM(A1%3AA9)"] = r => r["s"] is "=SUM(A1:A9)",
        ["s__isnull=true"] = r => r["s"] is null,
        ["d=2024-01-15"] = r => r["d"] is DateOnly v && v == new DateOnly(2024, 1, 15),
        ["d__gt=2024-02-01"] = r => r["d"] is DateOnly v && v > new DateOnly(2024, 2, 1),
        ["d__between=2024-01-10,2024-01-20"] = r => r["d"] is DateOnly v && v >= new DateOnly(2024, 1, 10) && v <= new DateOnly(2024, 1, 20),
        ["d__in=2024-01-01,2024-01-02"] = r => r["d"] is DateOnly v && v.Month == 1 && v.Day <= 2,
        ["d__isnull=false"] = r => r["d"] is not null,
        ["t__gte=2024-01-02T00:00:00Z"] = r => r["t"] is DateTimeOffset v && v >= new DateTimeOffset(2024, 1, 2, 0, 0, 0, TimeSpan.Zero),
        ["t__lt=2024-01-01 12:00:00"] = r => r["t"] is DateTimeOffset v && v < new DateTimeOffset(2024, 1, 1, 12, 0, 0, TimeSpan.Zero),
        ["t__gt=2024-01-02T01:00:00%2B01:00"] = r => r["t"] is DateTimeOffset v && v > new DateTimeOffset(2024, 1, 2, 0, 0, 0, TimeSpan.Zero),
        ["t__between=2024-01-01T06:00:00Z,2024-01-02T06:00:00Z"] = r => r["t"] is DateTimeOffset v && v >= new DateTimeOffset(2024, 1, 1, 6, 0, 0, TimeSpan.Zero) && v <= new DateTimeOffset(2024, 1, 2, 6, 0, 0, TimeSpan.Zero),
        ["i__gte=0&b=true&s__startswith=a"] = r => r["i"] is >= 0L && r["b"] is true && r["s"] is string v && v.StartsWith('a'),
        ["f__gt=0&f__lt=20&d__isnull=false"] = r => r["f"] is > 0.0 and < 20.0 && r["d"] is not null,
    };

    public static TheoryData<string> TypedFilterCases() => [.. TypedFilters.Keys];

    [Theory]
    [MemberData(nameof(TypedFilterCases))]
    public async Task Every_filter_operator_per_type_returns_exactly_the_matching_rows(string filter)
    {
        var (response, body) = await fx.Host.GetJsonAsync($"/datasets/typed/rows?{filter}&fields=k&limit=10000");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var expected = fx.Typed.Rows.Where(TypedFilters[filter]).Select(r => Canon.Of(r["k"])).ToList();
        Assert.NotEmpty(expected); // each case is chosen to match something, so "no rows" cannot pass by accident
        Assert.Equal(expected, body.Column("k", ColumnType.Integer));
    }

    [Fact]
    public async Task Getdata_without_parameters_is_the_first_ten_rows_in_load_order_with_every_column()
    {
        var (response, body) = await fx.Host.GetJsonAsync("/getdata");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType!.MediaType);
        var rows = body.EnumerateArray().ToList();
        Assert.Equal(10, rows.Count);
        for (var i = 0; i < 10; i++)
        {
            var expected = fx.Flights.Rows[i];
            Assert.Equal(fx.Flights.Schema.Columns.Select(c => c.Name), rows[i].EnumerateObject().Select(p => p.Name));
            foreach (var c in fx.Flights.Schema.Columns)
                Assert.Equal(Canon.Of(expected[c.Name]), Canon.Of(c.Type, rows[i].GetProperty(c.Name)));
        }
    }

    [Fact]
    public async Task Fields_selects_columns_in_the_order_asked()
    {
        var (_, body) = await fx.Host.GetJsonAsync("/datasets/typed/rows?fields=t,k,s&limit=3");
        foreach (var row in body.EnumerateArray()) Assert.Equal(["t", "k", "s"], row.EnumerateObject().Select(p => p.Name));
        Assert.Equal(fx.Typed.Rows.Take(3).Select(r => Canon.Of(r["t"])), body.Column("t", ColumnType.Timestamp));
    }

    [Theory]
    [InlineData("f")]
    [InlineData("-f")]
    [InlineData("-b,d")]
    [InlineData("b,-d")]
    [InlineData("-t")]
    [InlineData("n,-i,s")]
    [InlineData("-s")]
    public async Task Sort_puts_nulls_last_in_both_directions_and_breaks_ties_by_load_order(string sort)
    {
        var (response, body) = await fx.Host.GetJsonAsync($"/datasets/typed/rows?sort={sort}&fields=k&limit=10000");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var keys = sort.Split(',').Select(k => (k.TrimStart('-'), k.StartsWith('-'))).ToArray();
        Assert.Equal(Canon.SortLikeApi(fx.Typed.Rows, keys).Select(r => Canon.Of(r["k"])), body.Column("k", ColumnType.Integer));
    }

    [Theory]
    [InlineData("/getdata?sort=-dep_delay,carrier&origin__in=EWR,JFK&limit=37", "flights", "-dep_delay,carrier")]
    [InlineData("/getdata?limit=101", "flights", "")]
    [InlineData("/datasets/typed/rows?sort=-t&limit=50", "typed", "-t")]
    [InlineData("/datasets/typed/rows?sort=n,-d,b&limit=23&fields=s", "typed", "n,-d,b")]
    [InlineData("/datasets/typed/rows?sort=-s&format=ndjson&limit=41", "typed", "-s")]
    public async Task Walking_every_page_returns_every_matching_row_once_in_order(string url, string dataset, string sort)
    {
        var data = dataset == "flights" ? fx.Flights : fx.Typed;
        var ids = await WalkAsync(url.Contains("fields=") ? url.Replace("fields=s", "fields=s," + data.KeyColumn) : url, data.KeyColumn);
        var keys = sort.Length == 0 ? [] : sort.Split(',').Select(k => (k.TrimStart('-'), k.StartsWith('-'))).ToArray();
        var expected = Canon.SortLikeApi(data.Rows.Where(r => !url.Contains("origin__in") || r["origin"] is "EWR" or "JFK"), keys).Select(r => Canon.Of(r[data.KeyColumn])).ToList();
        Assert.Equal(expected, ids);
        Assert.Equal(ids.Count, ids.Distinct().Count());
    }

    internal async Task<List<string>> WalkAsync(string url, string key)
    {
        var ids = new List<string>();
        var pages = 0;
        for (string? next = url; next is not null; pages++)
        {
            var response = await fx.Host.Http.GetAsync(next);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var text = await response.Content.ReadAsStringAsync();
            var rows = text.StartsWith('[') ? JsonDocument.Parse(text).RootElement.EnumerateArray().ToList()
                : text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            ids.AddRange(rows.Select(r => Canon.Of(ColumnType.Integer, r.GetProperty(key))));
            next = response.NextLink();
            if (next is not null) Assert.NotEmpty(rows);
        }
        Assert.True(pages > 1, "the walk should span several pages");
        return ids;
    }

    [Fact]
    public async Task Count_true_gives_the_number_of_matching_rows_whatever_the_limit()
    {
        var response = await fx.Host.Http.GetAsync("/getdata?carrier=UA&count=true&limit=2");
        Assert.Equal(fx.Flights.Rows.Count(r => r["carrier"] is "UA").ToString(), response.Headers.GetValues("X-Total-Count").Single());
        Assert.False((await fx.Host.Http.GetAsync("/getdata?carrier=UA")).Headers.Contains("X-Total-Count"));
    }

    [Fact]
    public async Task Ndjson_is_one_object_per_line_equal_to_the_json_answer()
    {
        var json = (await fx.Host.GetJsonAsync("/datasets/typed/rows?limit=200&sort=-f")).Body.EnumerateArray().Select(e => e.GetRawText()).ToList();
        var byFormat = await fx.Host.Http.GetAsync("/datasets/typed/rows?limit=200&sort=-f&format=ndjson");
        Assert.Equal("application/x-ndjson", byFormat.Content.Headers.ContentType!.MediaType);
        var text = await byFormat.Content.ReadAsStringAsync();
        Assert.EndsWith("\n", text);
        Assert.Equal(json, text.TrimEnd('\n').Split('\n'));

        using var request = new HttpRequestMessage(HttpMethod.Get, "/datasets/typed/rows?limit=200&sort=-f");
        request.Headers.Accept.ParseAdd("application/x-ndjson");
        var byAccept = await fx.Host.Http.SendAsync(request);
        Assert.Equal(text, await byAccept.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Csv_has_a_header_unquoted_numbers_iso_timestamps_and_neutralised_formulas()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/datasets/typed/rows?limit=10000&fields=k,i,f,n,b,s,d,t");
        request.Headers.Accept.ParseAdd("text/csv");
        var response = await fx.Host.Http.SendAsync(request);
        Assert.Equal("text/csv", response.Content.Headers.ContentType!.MediaType);
        var lines = ParseCsv(await response.Content.ReadAsStringAsync());
        Assert.Equal(["k", "i", "f", "n", "b", "s", "d", "t"], lines[0].Select(f => f.Text));
        Assert.Equal(fx.Typed.Rows.Count, lines.Count - 1);
        for (var r = 0; r < fx.Typed.Rows.Count; r++)
        {
            var row = fx.Typed.Rows[r];
            var f = lines[r + 1];
            Assert.Equal(Canon.Of(row["k"]), f[0].Text);
            Assert.Equal(row["i"] is null ? "" : Canon.Of(row["i"]), f[1].Text);
            Assert.Equal(row["f"] is null ? "" : Canon.Of(row["f"]), f[2].Text);
            Assert.False(f[2].Quoted || f[1].Quoted || f[3].Quoted, "numbers are written unquoted");
            Assert.Equal(row["n"] is decimal n ? Canon.Of(n) : "", f[3].Text.Length == 0 ? "" : Canon.Of(decimal.Parse(f[3].Text, System.Globalization.CultureInfo.InvariantCulture)));
            Assert.Equal(row["b"] is null ? "" : Canon.Of(row["b"]), f[4].Text);
            var s = row["s"] as string;
            var expectedS = s is null ? "" : s.Length > 0 && "=+-@\t\r".Contains(s[0]) ? "'" + s : s;
            Assert.Equal(expectedS, f[5].Text);
            Assert.Equal(row["d"] is null ? "" : Canon.Of(row["d"]), f[6].Text);
            if (row["t"] is DateTimeOffset t) Assert.Equal(t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'"), f[7].Text);
            else Assert.Equal("", f[7].Text);
        }
        Assert.Contains(fx.Typed.Rows, r => r["s"] is "=SUM(A1:A9)"); // the neutralisation was exercised
    }

    /// <summary>A strict RFC 4180 reader that also says whether each field was quoted.</summary>
    internal static List<List<(string Text, bool Quoted)>> ParseCsv(string text)
    {
        var lines = new List<List<(string, bool)>>();
        var fields = new List<(string, bool)>();
        var i = 0;
        while (i < text.Length)
        {
            var sb = new System.Text.StringBuilder();
            var quoted = text[i] == '"';
            if (quoted)
            {
                i++;
                while (true)
                {
                    if (text[i] == '"' && i + 1 < text.Length && text[i + 1] == '"') { sb.Append('"'); i += 2; }
                    else if (text[i] == '"') { i++; break; }
                    else sb.Append(text[i++]);
                }
            }
            else while (i < text.Length && text[i] != ',' && text[i] != '\r') sb.Append(text[i++]);
            fields.Add((sb.ToString(), quoted));
            if (text[i] == ',') { i++; continue; }
            Assert.Equal("\r\n", text.Substring(i, 2));
            i += 2;
            lines.Add(fields);
            fields = [];
        }
        return lines;
    }

    [Fact]
    public async Task Etag_and_last_modified_are_set_and_if_none_match_gives_304()
    {
        var first = await fx.Host.Http.GetAsync("/getdata?carrier=AA&limit=5");
        var etag = first.Headers.ETag!;
        Assert.False(etag.IsWeak);
        Assert.NotNull(first.Content.Headers.LastModified);

        using var again = new HttpRequestMessage(HttpMethod.Get, "/getdata?carrier=AA&limit=5");
        again.Headers.IfNoneMatch.Add(etag);
        var notModified = await fx.Host.Http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);
        Assert.Equal(etag, notModified.Headers.ETag);
        Assert.Empty(await notModified.Content.ReadAsByteArrayAsync());

        Assert.NotEqual(etag, (await fx.Host.Http.GetAsync("/getdata?carrier=AA&limit=6")).Headers.ETag);
        Assert.NotEqual(etag, (await fx.Host.Http.GetAsync("/getdata?carrier=AA&limit=5&format=csv")).Headers.ETag);

        using var since = new HttpRequestMessage(HttpMethod.Get, "/getdata?carrier=AA&limit=5");
        since.Headers.IfModifiedSince = first.Content.Headers.LastModified;
        Assert.Equal(HttpStatusCode.NotModified, (await fx.Host.Http.SendAsync(since)).StatusCode);
    }

    [Fact]
    public async Task Datasets_lists_columns_rows_last_load_and_version()
    {
        var (response, body) = await fx.Host.GetJsonAsync("/datasets");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["flights", "typed"], body.EnumerateArray().Select(d => d.GetProperty("name").GetString()));
        var typed = body[1];
        Assert.Equal(600, typed.GetProperty("rows").GetInt64());
        Assert.Equal(2, typed.GetProperty("version").GetInt64());
        Assert.True(typed.GetProperty("last_loaded_at").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(-1));
        Assert.Equal(["k:INTEGER:REQUIRED", "i:INTEGER:NULLABLE", "f:FLOAT:NULLABLE", "n:NUMERIC:NULLABLE", "b:BOOLEAN:NULLABLE", "s:STRING:NULLABLE", "d:DATE:NULLABLE", "t:TIMESTAMP:NULLABLE"],
            typed.GetProperty("columns").EnumerateArray().Select(c => $"{c.GetProperty("name").GetString()}:{c.GetProperty("type").GetString()}:{c.GetProperty("mode").GetString()}"));

        var (one, flights) = await fx.Host.GetJsonAsync("/datasets/flights");
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        Assert.Equal(1200, flights.GetProperty("rows").GetInt64());
        Assert.Equal(HttpStatusCode.NotFound, (await fx.Host.Http.GetAsync("/datasets/nope")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await fx.Host.Http.GetAsync("/datasets/nope/rows")).StatusCode);
    }
}
