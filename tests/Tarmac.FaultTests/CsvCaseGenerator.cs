using System.Globalization;
using System.Text;

namespace Tarmac.FaultTests;

/// <summary>
/// Generates CSV files with the hard cases of RFC 4180 and of every schema type, and, independently of any parser, knows by
/// construction what each file holds: which records it has, on which line each starts, which are valid, and the (id, s)
/// of every row that must load. This is the reference the two load paths are held to.
/// </summary>
internal static class CsvCaseGenerator
{
    public const string Dataset = "edges";

    public const string Schema = """
        [{"name":"id","type":"INTEGER","mode":"REQUIRED"},{"name":"s","type":"STRING"},{"name":"i","type":"INTEGER"},
         {"name":"f","type":"FLOAT"},{"name":"d","type":"DATE"},{"name":"b","type":"BOOLEAN"},{"name":"t","type":"TIMESTAMP"},
         {"name":"n","type":"NUMERIC"}]
        """;

    private static readonly string[] Columns = ["id", "s", "i", "f", "d", "b", "t", "n"];

    // (text, valid) per typed column: the edges of each type, on both sides.
    private static readonly Dictionary<string, (string Text, bool Valid)[]> Values = new()
    {
        ["i"] = [("9223372036854775807", true), ("-9223372036854775808", true), ("0", true), ("517.0", true), (" 7 ", true), ("", true),
                 ("9223372036854775808", false), ("517.5", false), ("1_000", false), ("0x10", false), ("  ", false)],
        ["f"] = [("1.7976931348623157E308", true), ("-0.0", true), ("5e-324", true), (".5", true), ("1e3", true), ("", true),
                 ("inf", false), ("NaN", false), ("1e309", false), ("abc", false)],
        ["d"] = [("0001-01-01", true), ("9999-12-31", true), ("2024-02-29", true), ("", true), ("2023-02-29", false), ("2013-1-1", false), ("10000-01-01", false)],
        ["b"] = [("true", true), ("F", true), ("yes", true), ("n", true), ("1", true), ("0", true), ("", true), ("2", false), ("maybe", false)],
        ["t"] = [("2013-01-01 05:00:00", true), ("2013-01-01T05:00:00Z", true), ("0001-01-01 00:00:00", true), ("9999-12-31 23:59:59", true), ("", true),
                 ("2013-02-30 00:00:00", false), ("yesterday", false)],
        ["n"] = [("12345678901234567890.123456789", true), ("-0.5", true), ("1e2", true), ("", true), ("abc", false)],
    };

    private static readonly string[] StringPieces = ["a", "Z", " ", ",", "\"", "\"\"", "\n", "\r\n", "#", "ñandú", "€", "😀", "\t", "x y", "'", ";"];

    /// <summary>One generated file and its expected outcome.</summary>
    public sealed record Case(int Number, string Text, long Records, long Rejected, IReadOnlyList<long> ErrorLines, IReadOnlyList<(long Id, string? S)> Loaded)
    {
        public string Describe() => $"file {Number}: {Records} records, {Rejected} rejected";
    }

    public static Case Make(int number, Random rng)
    {
        var order = Columns.OrderBy(_ => rng.Next()).ToArray();
        var nl = rng.Next(2) == 0 ? "\n" : "\r\n";
        var b = new StringBuilder();
        if (rng.Next(4) == 0) b.Append('\uFEFF');
        b.Append(string.Join(',', order.Select(c => rng.Next(5) == 0 ? $"\"{c}\"" : c)));
        long line = 1;
        var records = rng.Next(1, 40);
        var errorLines = new List<long>();
        var loaded = new List<(long, string?)>();
        for (var r = 0; r < records; r++)
        {
            b.Append(nl);
            line++;
            while (rng.Next(15) == 0) { b.Append(nl); line++; } // blank lines are not records
            var id = number * 1000L + r;
            var start = line;
            var kind = rng.Next(40);
            if (kind == 0)
            {
                // A character after a closing quote, all on one line.
                b.Append(string.Join(',', order.Select(c => c == "s" ? "\"quoted\"x" : c == "id" ? id.ToString(CultureInfo.InvariantCulture) : "")));
                errorLines.Add(start);
                continue;
            }
            if (kind == 1)
            {
                // A quote inside an unquoted field.
                b.Append(string.Join(',', order.Select(c => c == "s" ? "in\"side" : c == "id" ? id.ToString(CultureInfo.InvariantCulture) : "")));
                errorLines.Add(start);
                continue;
            }
            var fields = new List<string>();
            var valid = true;
            string? s = null;
            foreach (var c in order)
            {
                string text;
                if (c == "id") text = id.ToString(CultureInfo.InvariantCulture);
                else if (c == "s")
                {
                    text = RandomString(rng, kind == 2 ? 5000 + rng.Next(5000) : rng.Next(12));
                    s = text.Length == 0 ? null : text;
                }
                else
                {
                    var pool = Values[c];
                    // Mostly valid values, so that most files load something.
                    var (t, ok) = rng.Next(20) == 0 ? pool[rng.Next(pool.Length)] : pool.Where(p => p.Valid).ElementAt(rng.Next(pool.Count(p => p.Valid)));
                    text = t;
                    valid &= ok;
                }
                fields.Add(text);
            }
            if (kind == 3) { fields.RemoveAt(fields.Count - 1); valid = false; } // a field short
            var written = fields.Select(f => Quote(f, rng)).ToList();
            // A record of only blank text is a blank line, not a record: never generated (the id is always there).
            b.Append(string.Join(',', written));
            line += written.Sum(LineBreaks);
            if (valid) loaded.Add((id, s));
            else errorLines.Add(start);
        }
        if (rng.Next(2) == 0) b.Append(nl);
        return new Case(number, b.ToString(), records, errorLines.Count, errorLines, loaded);
    }

    private static string RandomString(Random rng, int pieces)
    {
        var b = new StringBuilder();
        for (var i = 0; i < pieces; i++) b.Append(StringPieces[rng.Next(StringPieces.Length)]);
        return b.ToString();
    }

    private static string Quote(string field, Random rng)
    {
        var must = field.AsSpan().IndexOfAny(",\"\r\n") >= 0;
        return must || rng.Next(8) == 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
    }

    private static int LineBreaks(string written)
    {
        var n = 0;
        for (var i = 0; i < written.Length; i++)
        {
            if (written[i] == '\r') { n++; if (i + 1 < written.Length && written[i + 1] == '\n') i++; }
            else if (written[i] == '\n') n++;
        }
        return n;
    }
}
