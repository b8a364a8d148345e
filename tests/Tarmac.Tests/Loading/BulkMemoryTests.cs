using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;
using Tarmac.DataGen;
using Tarmac.Embedded;
using Tarmac.Process;
using Tarmac.ServiceDefaults;
using Tarmac.Testing;

namespace Tarmac.Tests.Loading;

/// <summary>
/// The bulk path in a small buffer pool. DuckDB's CSV reader holds a buffer of its default size (32 MB) per file it reads
/// at once; two parts read on two threads took two of them, and a 1 GB upload ran out of a 128 MB pool ("could not
/// allocate block of size 30.5 MiB") until the statements asked for buffers of a few maximal lines (bench/RESULTS.md).
/// </summary>
public sealed class BulkMemoryTests
{
    [Fact]
    public async Task A_file_cut_in_two_parts_loads_in_a_64MB_pool_on_two_threads()
    {
        var dir = TempDirs.Create("tarmac-bulk-memory");
        var csv = Path.Combine(dir, "flights.csv");
        const int rows = 600_000;
        await using (var f = File.Create(csv)) new FlightsGenerator(11).Write(f, rows);
        Assert.True(new FileInfo(csv).Length > 64L << 20, "each part must be larger than the reader's default buffer");
        Assert.True(SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas")).TryGet("flights", out var flights));

        var (record, table) = await LoadAsync(dir, flights, csv, "SELECT count(*), min(_line), max(_line) FROM flights");

        Assert.Equal((UploadStatus.Loaded, (long)rows, 0L), (record.Status, record.RowsLoaded, record.RowsRejected));
        Assert.Equal([$"{rows}|2|{rows + 1}"], table);
    }

    [Fact]
    public async Task Lines_near_the_longest_a_record_may_be_load_across_the_readers_buffers()
    {
        var dir = TempDirs.Create("tarmac-bulk-memory");
        var things = SchemaCatalog.Parse("things", """[{"name":"id","type":"INTEGER","mode":"REQUIRED"},{"name":"label","type":"STRING"}]""");
        // Twelve records of a million bytes, each line a few bytes from CsvRecordReader.DefaultMaxRecordBytes: the reader's
        // 4 MiB buffers end inside several of them.
        var lengths = Enumerable.Range(0, 12).Select(i => CsvRecordReader.DefaultMaxRecordBytes - 16 - i * 3).ToArray();
        var csv = Path.Combine(dir, "long.csv");
        var text = new StringBuilder("id,label\n");
        for (var i = 0; i < lengths.Length; i++) text.Append(i + 1).Append(',').Append((char)('a' + i), lengths[i]).Append('\n');
        await File.WriteAllTextAsync(csv, text.ToString());

        var (record, labels) = await LoadAsync(dir, things, csv, "SELECT _line, left(label, 1) || length(label) FROM things ORDER BY _line");

        Assert.Equal((UploadStatus.Loaded, 12L, 0L), (record.Status, record.RowsLoaded, record.RowsRejected));
        Assert.Equal(lengths.Select((n, i) => $"{i + 2}|{(char)('a' + i)}{n}"), labels);
    }

    /// <summary>
    /// Loads one file by the bulk path, cut in two parts, into a 64 MB pool on two threads; returns its outcome and the rows
    /// of <paramref name="readBack"/> (a test constant), each as its values joined by '|'.
    /// </summary>
    private static async Task<(UploadRecord, List<string>)> LoadAsync(string dir, DatasetSchema dataset, string csv, string readBack)
    {
        using var db = new DuckDbDatabase(Path.Combine(dir, "w.duckdb"), new SchemaCatalog([dataset]), "64MB", threads: 2);
        using var ledger = new DuckDbUploadLedger(db, TimeProvider.System);
        using var warehouse = new DuckDbWarehouseLoader(db, TimeProvider.System) { BulkThresholdBytes = 0 };
        warehouse.BulkCut = (2, 1);
        var id = UploadIds.New();
        var upload = new UploadRecord
        {
            UploadId = id, Dataset = dataset.Name, Object = $"raw/{dataset.Name}/x/{id}.csv", Bytes = new FileInfo(csv).Length,
            Sha256 = new string('0', 64), Status = UploadStatus.Stored, ReceivedAt = DateTimeOffset.UtcNow,
        };
        await ledger.RegisterAsync(upload, default);
        var loader = new UploadLoader(warehouse, new TarmacOptions(), TimeProvider.System);

        var record = (await loader.LoadAsync([new LoadRequest(upload, dataset, _ => Task.FromResult<Stream>(File.OpenRead(csv)))], default))[0];

        Assert.Equal(1, warehouse.BulkLoads);
        var table = new List<string>();
        using var c = db.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = readBack;
        using var r = cmd.ExecuteReader();
        while (r.Read()) table.Add(string.Join('|', Enumerable.Range(0, r.FieldCount).Select(i => Convert.ToString(r.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        return (record, table);
    }
}
