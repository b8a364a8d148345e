using System.Text;

namespace Tarmac.Cli.Query;

/// <summary>Builds a query string from the CLI's options; every key and value is escaped.</summary>
public sealed class QueryString
{
    private readonly StringBuilder _text = new();

    /// <summary>Adds <paramref name="key"/>=<paramref name="value"/> unless the value is null or empty.</summary>
    public QueryString Add(string key, string? value, bool keepEmpty = false)
    {
        if (value is null || (value.Length == 0 && !keepEmpty)) return this;
        _text.Append(_text.Length == 0 ? '?' : '&').Append(Uri.EscapeDataString(key)).Append('=').Append(Uri.EscapeDataString(value));
        return this;
    }

    /// <summary>Adds filters written <c>column__op=value</c> (or <c>column=value</c>).</summary>
    /// <exception cref="ArgumentException">A filter without <c>=</c>.</exception>
    public QueryString AddFilters(IEnumerable<string>? filters)
    {
        foreach (var f in filters ?? [])
        {
            var eq = f.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0) throw new ArgumentException($"--filter takes column__op=value (e.g. carrier=UA, dep_delay__gt=60), not '{f}'.");
            Add(f[..eq], f[(eq + 1)..], keepEmpty: true);
        }
        return this;
    }

    /// <inheritdoc />
    public override string ToString() => _text.ToString();
}
