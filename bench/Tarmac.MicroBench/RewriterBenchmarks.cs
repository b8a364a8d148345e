using BenchmarkDotNet.Attributes;
using Tarmac.Core.Datasets;
using Tarmac.Core.Validation;
using Tarmac.DataGen;
using Tarmac.Embedded;

namespace Tarmac.MicroBench;

/// <summary>
/// The bulk path's line-numbered copy of an in-memory 500,000-row flights file (64 MB) to temp files: in one pass (the
/// baseline) and cut into one part per core, rewritten at once.
/// </summary>
public class RewriterBenchmarks
{
    private byte[] _file = [];
    private DatasetSchema _schema = null!;
    private string _folder = "";

    [GlobalSetup]
    public void Setup()
    {
        _file = new FlightsGenerator(42).ToArray(500_000);
        _schema = SchemaCatalog.Parse("flights", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", "flights.json")));
        _folder = Directory.CreateTempSubdirectory("tarmac-rewriter-bench").FullName;
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    [Benchmark(Baseline = true)]
    public Task<long> OnePass() => RewriteAsync(1);

    [Benchmark]
    public Task<long> OnePartPerCore() => RewriteAsync(Environment.ProcessorCount);

    private async Task<long> RewriteAsync(int parts)
    {
        var result = await PlainCsvRewriter.TryRewriteAsync(_ => Task.FromResult<Stream>(new MemoryStream(_file)), Path.Combine(_folder, "x"), (byte)',',
            names => CsvHeader.TryCreate(_schema, names, out _), parts, minPartBytes: 1 << 20, CancellationToken.None);
        foreach (var f in result!.Files) File.Delete(f);
        return result.Records;
    }
}
