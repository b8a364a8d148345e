namespace Tarmac.Bench;

/// <summary>Command line of the benchmark; the defaults are the full run that RESULTS.md reports.</summary>
public sealed record BenchOptions(long Rows, int Seconds, int Connections, int CurveSeconds, bool SkipMemory, long MemoryBytes, bool NoBuild, string? Results, bool TakeoffsOnly = false, int WarmupSeconds = 15, bool BulkOnly = false, long PreloadRows = 0)
{
    public const string Usage =
        "usage: dotnet run -c Release --project bench/Tarmac.Bench -- [--rows 3000000] [--seconds 30] [--connections 64] [--curve-seconds 10] [--skip-memory] [--memory-mb 1024] [--no-build] [--results bench/RESULTS.md|none] [--takeoffs-only [--preload-rows N]] [--bulk-only] [--warmup-seconds 15]";

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions(3_000_000, 30, 64, 10, false, 1L << 30, false, "bench/RESULTS.md");
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            o = args[i] switch
            {
                "--rows" => o with { Rows = long.Parse(Next()) },
                "--seconds" => o with { Seconds = int.Parse(Next()) },
                "--connections" => o with { Connections = int.Parse(Next()) },
                "--curve-seconds" => o with { CurveSeconds = int.Parse(Next()) },
                "--skip-memory" => o with { SkipMemory = true },
                "--memory-mb" => o with { MemoryBytes = long.Parse(Next()) << 20 },
                "--no-build" => o with { NoBuild = true },
                "--takeoffs-only" => o with { TakeoffsOnly = true },
                "--bulk-only" => o with { BulkOnly = true },
                "--preload-rows" => o with { PreloadRows = long.Parse(Next()) },
                "--warmup-seconds" => o with { WarmupSeconds = int.Parse(Next()) },
                "--results" => o with { Results = Next() is var r && r == "none" ? null : r },
                _ => throw new ArgumentException($"unknown argument '{args[i]}'\n{Usage}"),
            };
        }
        return o;
    }
}
