using Tarmac.ServiceDefaults;
using System.Globalization;
using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;
using Tarmac.DataGen;
using Tarmac.Embedded;
using Tarmac.Process;
using Tarmac.Testing;

namespace Tarmac.Tests.Loading;

/// <summary>
/// The bulk path (DuckDB's CSV reader) and the C# path (the reference) load the same file to the same outcome:
/// status, counts, errors (line, column, value, reason) and every loaded value including the line numbers.
/// Each case is loaded into two real DuckDB files, one per path.
/// </summary>
public class BulkPathEquivalenceTests
{
    private static readonly string FlightsSchema = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", "flights.json"));
    private static readonly string FlightsHeader = SampleData.SeedCsv.Split('\n')[0];

    private static readonly DatasetSchema Things = SchemaCatalog.Parse("things", """
        [{"name":"id","type":"INTEGER","mode":"REQUIRED"},
         {"name":"label","type":"STRING"},
         {"name":"score","type":"FLOAT"},
         {"name":"at","type":"TIMESTAMP"}]
        """);

    private static readonly DatasetSchema Airports = SchemaCatalog.Parse("airports", """
        [{"name":"code","type":"STRING","mode":"REQUIRED"},{"name":"opened","type":"DATE"},{"name":"elevation","type":"NUMERIC"},{"name":"hub","type":"BOOLEAN"}]
        """, """{"all_or_nothing": true}""");

    private static readonly DatasetSchema AirportsPartial = SchemaCatalog.Parse("airports_partial", """
        [{"name":"code","type":"STRING","mode":"REQUIRED"},{"name":"opened","type":"DATE"},{"name":"elevation","type":"NUMERIC"},{"name":"hub","type":"BOOLEAN"}]
        """);

    private static readonly DatasetSchema Flights = SchemaCatalog.Parse("flights", FlightsSchema);

    /// <summary>A dataset whose files are split at ';' (issue 13, defect 1: the delimiter is fixed by the dataset).</summary>
    private static readonly DatasetSchema Semis = SchemaCatalog.Parse("semis", """
        [{"name":"id","type":"INTEGER","mode":"REQUIRED"},{"name":"label","type":"STRING"},{"name":"score","type":"FLOAT"}]
        """, """{"delimiter": ";"}""");

    public static TheoryData<string, string, bool> Cases => new()
    {
        // name, csv, whether the bulk path must take it (plain) or decline it (the C# path then loads it)
        { "things: columns in any order, absent nullable columns", "label,id\nalpha,1\nbeta,2", true },
        { "things: hostile numbers", "id,label,score\n1,a,1.5\n517.0,b,2\n517.5,c,3\n1_000,d,4\n+5,e,5\n 7 ,f,6\n0x10,g,7\n1e3,h,1e3\n-0,i,-0.0\n8,j,inf\n9,k,NaN\n10,l,1_0.5\n11,m,0.1\n12,n,.5\n13,o,5.\n14,p,1E+20\n9223372036854775807,q,1\n9223372036854775808,r,1\n-9223372036854775808,s,2.50\n", true },
        { "things: integers at the edges of the forms SQL vouches for", "id,label\n007,a\n-0,b\n123456789012345678,c\n1234567890123456789,d\n123456789012345.0,e\n1234567890123456.0,f\n123456789012345678.0,g\n-123456789012345.0,h\n9007199254740993.0,i\n", true },
        { "things: floats at the edges of the forms SQL vouches for", "id,score\n1,0.1\n2,2.675\n3,0.30000000000000004\n4,123456789012345\n5,1234567890123456\n6,1.23456789012345\n7,-1.2345678901234\n8,9007199254740993\n9,00.5\n10,-0.0\n11,0.000000000000001\n12,5e-324\n13,1.7976931348623157e308\n", true },
        { "things: byte order mark, crlf, bad rows at known lines", "\uFEFFid,label,score\r\n1,a,1\r\nx,b,2\r\n3,c,y\r\n4,d,4\r\n5,e,5", true },
        { "things: one row", "id,label\n7,only\n", true },
        { "things: two rows, the second bad", "id,label\n1,a\nx,b\n", true },
        { "things: timestamps", "id,at\n1,2013-01-01 05:00:00\n2,2013-01-01T05:00:00Z\n3,2013-01-01 05:00\n4,2013-1-1 05:00:00\n5,2013-01-01 05:00:00+02:00\n6,2013-01-01\n7,0000-01-01 00:00:00\n8,2013-02-30 00:00:00\n9,2013-01-01 05:00:00.123\n10,yesterday\n11,\n", true },
        { "things: strings keep their spaces and unicode", "id,label\n1, padded \n2,ñandú €\n3,\n4,   \n", true },
        { "things: required value missing and several bad fields", "id,score,at\n,abc,yesterday\n1,2,2013-01-01 00:00:00\n", true },
        { "things: crlf line endings", "id,label,score\r\n1,a,1.0\r\n2,b,x\r\n3,c,3\r\n", true },
        { "things: byte order mark", "\uFEFFid,label\n1,a\n", true },
        { "things: no trailing newline", "id,label\n1,a\n2,b", true },
        { "things: quoted newline (declined)", "id,label,score\n1,\"two\nlines\",1.5\r\nx,ok,2\n3,ok,not-a-number\n\n4,ok\n5,ok,5", false },
        { "things: wrong field count (declined)", "id,label\n1,a\n2\n3,c,d\n", false },
        { "things: blank line (declined)", "id,label\n1,a\n\n2,b\n", false },
        { "things: header mismatch (declined)", "label,color\na,b", false },
        { "things: a line starting with # is a record, not a comment", "id,label\n1,a\n#2,b\n3,#c\n# 4,d\n", true },
        { "things: a character after a closing quote (declined)", "id,label\n1,\"a\"x\n2,b\n", false },
        { "things: a record over 1 MiB (declined)", $"id,label\n1,a\n2,{new string('x', (1 << 20) + 1)}\n3,c\n", false },
        { "things: a quote inside an unquoted field (declined)", "id,label\n1,a\"b\n2,c\n", false },
        { "things: 250 bad rows keep the first 100 errors", "id,label\n" + string.Join("\n", Enumerable.Range(0, 250).Select(i => $"bad{i},x")), true },
        { "airports: all or nothing, all good", "code,opened,elevation,hub\nEWR,1928-10-01,5.5,true\nJFK,1948-07-01,4,FALSE\nLGA,1939-10-15,-3.25,Y\n", true },
        { "airports: all or nothing, one bad", "code,hub\nLGA,true\nXXX,maybe\n", true },
        { "airports: all or nothing, good rows only the C# parser vouches for", "code,opened,elevation,hub\nEWR, 1928-10-01,+5.5, true\n", true },
        { "airports_partial: dates, decimals, booleans", "code,opened,elevation,hub\nA,1928-10-01,5.5,t\nB,1928-13-01,1e2,no\nC,2013-1-1,12345678901234567890.123456789,0\nD,,abc,2\n,2000-01-01,1,1\n", true },
        { "semis: ';' splits, a comma is data", "id;label;score\n1;a,b;1.5\n2;c;x\n3;,;3\n4;d\n", false },
        { "semis: plain file", "label;id;score\n a,b ;1;1.5\n#c;2;x\n;3;3\n", true },
        { "semis: crlf and a bad value", "id;score\r\n1;2.5\r\n2;1,5\r\n", true },
        { "semis: quoted ';' (declined)", "id;label\n1;\"x;y\"\n2;\"say \"\"hi\"\"\"\n", false },
        { "semis: a comma header is one unknown column", "id,label\n1,a\n", false },
        { "flights: seed sample", SampleData.SeedCsv, true },
        { "flights: bad rows among good", string.Join('\n', SampleData.SeedCsv.Split('\n')[0], SampleData.SeedCsv.Split('\n')[1], SampleData.SeedCsv.Split('\n')[2].Replace("517.0", "x").Replace("533.0", "533.5"), SampleData.SeedCsv.Split('\n')[3], SampleData.SeedCsv.Split('\n')[4].Replace(",2013,", ",,")), true },
        { "flights: 3000 generated rows", Encoding.UTF8.GetString(new FlightsGenerator(7).ToArray(3000)), true },
        { "flights: 3000 generated rows, crlf", Encoding.UTF8.GetString(new FlightsGenerator(8).ToArray(3000)).Replace("\n", "\r\n", StringComparison.Ordinal), true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public Task Both_paths_give_the_same_outcome_and_the_same_rows(string name, string csv, bool plain) =>
        AssertSameOutcomeAsync(name, csv, plain, cut: null);

    /// <summary>
    /// The same cases with every file cut into three parts rewritten at once (a large file's path, here at any size): the cuts
    /// land on blank lines, crlf pairs, long lines and unterminated last lines, and the outcome must not change.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public Task Cut_into_parts_the_bulk_path_gives_the_same_outcome(string name, string csv, bool plain) =>
        AssertSameOutcomeAsync(name, csv, plain, cut: (3, 1));

    private static async Task AssertSameOutcomeAsync(string name, string csv, bool plain, (int Parts, long PartBytes)? cut)
    {
        var dataset = name.Split(':')[0] switch
        {
            "things" => Things, "airports" => Airports, "airports_partial" => AirportsPartial, "semis" => Semis, _ => Flights,
        };
        var reference = await LoadAsync(dataset, csv, bulk: false);
        var bulk = await LoadAsync(dataset, csv, bulk: true, cut);
        Assert.Equal(0, reference.BulkLoads);
        Assert.Equal(plain ? 1 : 0, bulk.BulkLoads);
        Assert.Equal(reference.Record.Status, bulk.Record.Status);
        Assert.Equal((reference.Record.RowsLoaded, reference.Record.RowsRejected), (bulk.Record.RowsLoaded, bulk.Record.RowsRejected));
        Assert.Equal(reference.Record.Errors, bulk.Record.Errors);
        Assert.Equal(reference.Rows, bulk.Rows);
        Assert.Equal(reference.Record.RowsLoaded, reference.Rows.Count);
    }

    [Fact]
    public async Task The_bulk_path_reports_hostile_values_exactly_as_the_reference_does()
    {
        var csv = "id,label,score\n1,a,1.5\n517.5,b,2\n1_000,c,3\n+5,d,4\n6,e,inf\n";
        var bulk = await LoadAsync(Things, csv, bulk: true);
        Assert.Equal(1, bulk.BulkLoads);
        Assert.Equal(UploadStatus.PartiallyLoaded, bulk.Record.Status);
        Assert.Equal((2L, 3L), (bulk.Record.RowsLoaded, bulk.Record.RowsRejected));
        Assert.Equal(
            [
                new RowError(3, "id", "517.5", "must be an integer (a whole number such as 517 or 517.0)"),
                new RowError(4, "id", "1_000", "must be an integer"),
                new RowError(6, "score", "inf", "must be a finite number"),
            ],
            bulk.Record.Errors);
        Assert.Equal(["2|1|a|1.5|", "5|5|d|4|"], bulk.Rows);
    }

    private sealed record Loaded(UploadRecord Record, List<string> Rows, long BulkLoads);

    private static async Task<Loaded> LoadAsync(DatasetSchema dataset, string csv, bool bulk, (int, long)? cut = null)
    {
        var dir = TempDirs.Create("tarmac-bulk");
        var bytes = Encoding.UTF8.GetBytes(csv);
        using var db = new DuckDbDatabase(Path.Combine(dir, "w.duckdb"), new SchemaCatalog([dataset]));
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System);
        using var warehouse = new DuckDbWarehouseLoader(db, TimeProvider.System) { BulkThresholdBytes = bulk ? 0 : long.MaxValue };
        warehouse.BulkCut = cut ?? (1, long.MaxValue);
        var loader = new UploadLoader(warehouse, new TarmacOptions(), TimeProvider.System);
        var id = UploadIds.New();
        var upload = new UploadRecord
        {
            UploadId = id, Dataset = dataset.Name, Object = $"raw/{dataset.Name}/x/{id}.csv", Bytes = bytes.Length,
            Sha256 = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(bytes)), Status = UploadStatus.Stored, ReceivedAt = DateTimeOffset.UtcNow,
        };
        await ledger.RegisterAsync(upload, default);
        var record = (await loader.LoadAsync([new LoadRequest(upload, dataset, _ => Task.FromResult<Stream>(new MemoryStream(bytes)))], default))[0];
        var stored = (await ledger.GetAsync(id, default))!;
        Assert.Equal((record.Status, record.RowsLoaded, record.RowsRejected), (stored.Status, stored.RowsLoaded, stored.RowsRejected));
        Assert.Equal(record.Errors, stored.Errors);

        var rows = new List<string>();
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT _line, * EXCLUDE (_line, _upload_id, _loaded_at) FROM \"{dataset.Name}\" ORDER BY _line";
        using var r = cmd.ExecuteReader();
        while (r.Read())
            rows.Add(string.Join('|', Enumerable.Range(0, r.FieldCount).Select(i => r.IsDBNull(i) ? "" : Convert.ToString(r.GetValue(i), CultureInfo.InvariantCulture))));
        return new Loaded(record, rows, warehouse.BulkLoads);
    }
}
