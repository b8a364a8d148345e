using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Validation;
using Tarmac.DataGen;
using Tarmac.Embedded;
using Tarmac.Testing;

namespace Tarmac.Tests.Loading;

/// <summary>
/// A file rewritten in parts at once gives the lines, line numbers and flags of the same file rewritten in one pass, and
/// declines exactly the files one pass declines, wherever the cuts fall. (The outcome of a whole load cut into parts is in
/// <see cref="BulkPathEquivalenceTests"/>.)
/// </summary>
public class PlainCsvRewriterTests
{
    private static readonly DatasetSchema Things = SchemaCatalog.Parse("things", """
        [{"name":"id","type":"INTEGER","mode":"REQUIRED"},{"name":"label","type":"STRING"},{"name":"score","type":"FLOAT"}]
        """);

    private static readonly DatasetSchema Flights = SchemaCatalog.Parse("flights", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", "flights.json")));

    public static TheoryData<string, int> Files => new()
    {
        { "flights, lf", 2 }, { "flights, lf", 3 }, { "flights, lf", 7 },
        { "flights, crlf", 2 }, { "flights, crlf", 5 },
        { "flights, no newline at the end", 2 }, { "flights, no newline at the end", 4 },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public async Task Parts_write_the_lines_one_pass_writes(string file, int parts)
    {
        var csv = new FlightsGenerator(11).ToArray(3000);
        if (file.Contains("crlf", StringComparison.Ordinal)) csv = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(csv).Replace("\n", "\r\n", StringComparison.Ordinal));
        if (file.Contains("no newline", StringComparison.Ordinal)) csv = csv[..^(csv[^2] == '\r' ? 2 : 1)];

        var whole = await RewriteAsync(Flights, csv, parts: 1);
        var cut = await RewriteAsync(Flights, csv, parts);

        Assert.NotNull(whole);
        Assert.NotNull(cut);
        Assert.Equal(1, whole.Value.Files);
        Assert.Equal(parts, cut.Value.Files);
        Assert.Equal(3000, whole.Value.Lines.Count);
        Assert.Equal(whole.Value.Lines, cut.Value.Lines);
        Assert.Equal(Enumerable.Range(2, 3000).Select(l => (long)l), cut.Value.Lines.Select(l => l.Line));
    }

    /// <summary>A blank line or a line with a field too many, put at every line in turn (and so on every cut), declines the file.</summary>
    [Theory]
    [InlineData("")]
    [InlineData("9,x,1,extra")]
    [InlineData("9,\"x\",1")]
    public async Task A_line_that_is_not_plain_declines_the_file_wherever_it_falls(string bad)
    {
        var lines = Enumerable.Range(1, 30).Select(i => $"{i},label{i},{i}.5").ToList();
        for (var at = 0; at <= lines.Count; at++)
        {
            var csv = Encoding.UTF8.GetBytes("id,label,score\n" + string.Join('\n', lines.Take(at).Append(bad).Concat(lines.Skip(at))) + "\n");
            foreach (var parts in new[] { 1, 2, 3 })
                Assert.Null(await RewriteAsync(Things, csv, parts));
        }
    }

    /// <summary>A line whose number is not canonical goes to the suspects with its own line number, wherever it falls.</summary>
    [Fact]
    public async Task A_suspect_line_keeps_its_number_wherever_it_falls()
    {
        var lines = Enumerable.Range(1, 30).Select(i => $"{i},label{i},{i}.5").ToList();
        for (var at = 0; at <= lines.Count; at++)
        {
            var csv = Encoding.UTF8.GetBytes("id,label,score\n" + string.Join('\n', lines.Take(at).Append("+7,odd,1").Concat(lines.Skip(at))) + "\n");
            var cut = await RewriteAsync(Things, csv, parts: 3);
            Assert.NotNull(cut);
            Assert.Equal(31, cut.Value.Lines.Count);
            Assert.Equal([(at + 2L, false, "+7,odd,1")], cut.Value.Lines.Where(l => !l.Canonical));
            Assert.Equal(Enumerable.Range(2, 31).Select(l => (long)l), cut.Value.Lines.Select(l => l.Line));
        }
    }

    private readonly record struct Rewritten(int Files, List<(long Line, bool Canonical, string Record)> Lines);

    /// <summary>Rewrites <paramref name="csv"/> in at most <paramref name="parts"/> parts (cut at any size); the lines read back in line order.</summary>
    private static async Task<Rewritten?> RewriteAsync(DatasetSchema dataset, byte[] csv, int parts)
    {
        var stem = Path.Combine(TempDirs.Create("tarmac-rewrite"), "x");
        var result = await PlainCsvRewriter.TryRewriteAsync(_ => Task.FromResult<Stream>(new MemoryStream(csv)), stem, (byte)',',
            names => CsvHeader.TryCreate(dataset, names, out _), parts, minPartBytes: 1, default);
        if (result is null)
        {
            Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(stem)!));
            return null;
        }
        Assert.Equal(result.Canonical.Count, result.Suspects.Count);
        var lines = new List<(long, bool, string)>();
        foreach (var f in result.Files)
            foreach (var line in File.ReadAllLines(f))
            {
                var fields = line.Split(',', 3);
                var canonical = fields[1] == "1";
                Assert.Equal(result.Canonical.Contains(f), canonical);
                lines.Add((long.Parse(fields[0], System.Globalization.CultureInfo.InvariantCulture), canonical, fields[2]));
            }
        Assert.Equal(result.Records, lines.Count);
        return new Rewritten(result.Canonical.Count, [.. lines.OrderBy(l => l.Item1)]);
    }
}
