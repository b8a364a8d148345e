using System.Diagnostics;

namespace Tarmac.DataGen;

/// <summary>The command line: <c>--rows N --seed S --out PATH</c> (<c>--out -</c> writes to standard output).</summary>
public static class GeneratorCommand
{
    private const string Usage = "usage: Tarmac.DataGen [--rows 3000000] [--seed 42] [--out flights.csv|-] [--year 2013]";

    public static int Run(string[] args)
    {
        long rows = 3_000_000;
        ulong seed = 42;
        var year = 2013;
        string output = "flights.csv";
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--rows" when long.TryParse(value, out rows) && rows >= 0: i++; break;
                case "--seed" when ulong.TryParse(value, out seed): i++; break;
                case "--year" when int.TryParse(value, out year) && year is >= 1900 and <= 9999: i++; break;
                case "--out" when value is not null: output = value; i++; break;
                case "-h" or "--help": Console.WriteLine(Usage); return 0;
                default: Console.Error.WriteLine($"bad argument '{args[i]}'\n{Usage}"); return 2;
            }
        }
        var clock = Stopwatch.StartNew();
        long bytes;
        if (output == "-")
        {
            using var stdout = Console.OpenStandardOutput();
            bytes = new FlightsGenerator(seed, year).Write(stdout, rows);
        }
        else
        {
            using var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            bytes = new FlightsGenerator(seed, year).Write(file, rows);
            Console.Error.WriteLine($"wrote {rows:N0} rows, {bytes / 1e6:F1} MB to {output} in {clock.Elapsed.TotalSeconds:F2} s");
        }
        return 0;
    }
}
