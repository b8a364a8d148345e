using BenchmarkDotNet.Attributes;
using Sylvan.Data.Csv;
using Tarmac.Core.Datasets;
using Tarmac.Core.Validation;
using Tarmac.DataGen;

namespace Tarmac.MicroBench;

/// <summary>
/// Validator throughput on an in-memory 100,000-row flights file. The baseline reads every field span with
/// Sylvan and does nothing else: the floor any C# validation sits on.
/// </summary>
[MemoryDiagnoser]
public class ValidatorBenchmarks
{
    private byte[] _file = [];
    private DatasetSchema _schema = null!;

    [GlobalSetup]
    public void Setup()
    {
        _file = new FlightsGenerator(42).ToArray(100_000);
        _schema = SchemaCatalog.Parse("flights", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", "flights.json")));
    }

    [Benchmark(Baseline = true)]
    public async Task<long> SylvanParseOnly()
    {
        using var text = new StreamReader(new MemoryStream(_file));
        await using var reader = await CsvDataReader.CreateAsync(text, new CsvDataReaderOptions { HasHeaders = true, BufferSize = 1 << 16 });
        long chars = 0;
        while (await reader.ReadAsync())
            for (var i = 0; i < reader.RowFieldCount; i++) chars += reader.GetFieldSpan(i).Length;
        return chars;
    }

    [Benchmark]
    public async Task<long> CsvValidatorCSharpPath()
    {
        var result = await CsvValidator.ValidateAsync(new MemoryStream(_file), _schema, NullSink.Instance, CancellationToken.None);
        return result.RowsAccepted;
    }

    private sealed class NullSink : IRowSink
    {
        public static readonly NullSink Instance = new();
        public void Append(ReadOnlySpan<FieldValue> row, long line) { }
    }
}
