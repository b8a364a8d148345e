using Tarmac.Core.Datasets;

namespace Tarmac.Core.Validation;

/// <summary>
/// Maps the columns of a CSV header line to a dataset's schema: any order, NULLABLE columns may be
/// absent, names match case-insensitively. Ingest checks it on the first line while streaming; the
/// loader uses the same mapping to read rows.
/// </summary>
public sealed class CsvHeader
{
    private readonly string[] _names;

    private CsvHeader(ColumnSchema?[] fileColumns, string[] names)
    {
        FileColumns = fileColumns;
        _names = names;
    }

    /// <summary>For each field position in the file, the schema column it carries.</summary>
    public IReadOnlyList<ColumnSchema?> FileColumns { get; }

    /// <summary>Number of fields each row must have.</summary>
    public int FieldCount => FileColumns.Count;

    /// <summary>Splits one header line (RFC 4180 quoting) into its names, at <paramref name="delimiter"/>.</summary>
    public static List<string> SplitLine(ReadOnlySpan<char> line, char delimiter = ',')
    {
        var names = new List<string>();
        var current = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < line.Length && line[i + 1] == '"') { current.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else current.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == delimiter) { names.Add(current.ToString()); current.Clear(); }
            else if (c is not ('\r' or '\n')) current.Append(c);
        }
        names.Add(current.ToString());
        return names;
    }

    /// <summary>
    /// Builds the mapping, or returns a message naming every missing required, unknown and duplicated column.
    /// </summary>
    /// <remarks>
    /// Every upload is checked twice (ingest, then the load), and the clients of a dataset nearly always send the same header
    /// line: the last mapping built for a dataset is kept with the names it came from, and the same names get it back
    /// without a new one (a twentieth of a single-row upload's load was building it).
    /// </remarks>
    public static CsvHeader? TryCreate(DatasetSchema schema, IReadOnlyList<string> names, out string? problem)
    {
        problem = null;
        if (schema.LastCsvHeader is { } last && last.IsFrom(names)) return last;
        var mapped = new ColumnSchema?[names.Count];
        var unknown = new List<string>();
        var duplicate = new List<string>();
        var present = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < names.Count; i++)
        {
            var name = names[i].Trim();
            if (i == 0) name = name.TrimStart('\uFEFF');
            if (!schema.TryGetHeaderColumn(name, out var column)) { unknown.Add(name.Length == 0 ? $"(empty name at position {i + 1})" : name); continue; }
            if (!present.Add(column.Name)) { duplicate.Add(column.Name); continue; }
            mapped[i] = column;
        }
        var missing = schema.Columns.Where(c => c.Required && !present.Contains(c.Name)).Select(c => c.Name).ToList();
        var parts = new List<string>();
        // Names come from the client: a header of 60,000 commas must give one short sentence, not megabytes of problem text
        // and log, and a control character in a name must not reach either as such.
        if (missing.Count > 0) parts.Add($"missing required column(s): {NameList(missing)}");
        if (unknown.Count > 0) parts.Add($"unknown column(s): {NameList(unknown)}");
        if (duplicate.Count > 0) parts.Add($"duplicated column(s): {NameList(duplicate)}");
        if (parts.Count > 0)
        {
            problem = $"The CSV header does not match dataset '{schema.Name}': {string.Join("; ", parts)}. Expected columns: {schema.ColumnList}.";
            return null;
        }
        var header = new CsvHeader(mapped, [.. names]);
        schema.LastCsvHeader = header;
        return header;
    }

    private bool IsFrom(IReadOnlyList<string> names)
    {
        if (names.Count != _names.Length) return false;
        for (var i = 0; i < _names.Length; i++)
            if (!string.Equals(names[i], _names[i], StringComparison.Ordinal)) return false;
        return true;
    }

    /// <summary>At most this many names are listed in a header problem; the rest are counted.</summary>
    public const int MaxNamesListed = 10;

    /// <summary>Longest name quoted in a header problem; a longer one is cut.</summary>
    public const int MaxNameLength = 64;

    private static string NameList(List<string> names)
    {
        var shown = string.Join(", ", names.Take(MaxNamesListed).Select(Printable));
        return names.Count > MaxNamesListed ? $"{shown} and {names.Count - MaxNamesListed} more" : shown;
    }

    /// <summary>A client-supplied name fit for a problem or log line: cut to <see cref="MaxNameLength"/>, control characters escaped.</summary>
    internal static string Printable(string name)
    {
        var b = new System.Text.StringBuilder();
        foreach (var c in name.Length > MaxNameLength ? name[..MaxNameLength] : name)
            if (char.IsControl(c)) b.Append(System.Globalization.CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else b.Append(c);
        return name.Length > MaxNameLength ? b.Append('…').ToString() : b.ToString();
    }
}
