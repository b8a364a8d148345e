using System.CommandLine;
using Tarmac.DataGen;

namespace Tarmac.Cli.Commands;

/// <summary><c>tarmac generate --rows N [--seed] [--out FILE]</c>: a valid flights CSV, from the generator the benchmarks use.</summary>
public static class GenerateCommand
{
    /// <summary>The command.</summary>
    public static Command Create(GlobalOptions g)
    {
        var rows = new Option<long>("--rows", "-n") { Description = "Rows to write.", Required = true };
        rows.Validators.Add(r => { if (r.GetValueOrDefault<long>() < 0) r.AddError("--rows must be 0 or more."); });
        var seed = new Option<ulong>("--seed") { Description = "Seed (the same seed and rows give the same bytes).", DefaultValueFactory = _ => 42 };
        var year = new Option<int>("--year") { Description = "Year the flights run through.", DefaultValueFactory = _ => 2013 };
        year.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1900 or > 9999) r.AddError("--year must be between 1900 and 9999."); });
        var output = new Option<string?>("--out", "-o") { Description = "File to write (default: standard output)." };
        var command = new Command("generate", "Write a valid flights CSV (deterministic test data) to stdout or a file.") { rows, seed, year, output };
        command.SetAction(async (r, ct) =>
        {
            var generator = new FlightsGenerator(r.GetValue(seed), r.GetValue(year));
            if (r.GetValue(output) is { } path)
            {
                long bytes;
                await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
                    bytes = generator.Write(file, r.GetValue(rows));
                await g.Console.Error.WriteLineAsync($"wrote {r.GetValue(rows)} rows, {bytes} bytes to {path}");
            }
            else
            {
                await g.Console.Out.FlushAsync(ct);
                generator.Write(g.Console.Output, r.GetValue(rows));
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
