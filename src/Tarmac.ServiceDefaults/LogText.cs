using System.Globalization;
using System.Text;

namespace Tarmac.ServiceDefaults;

/// <summary>
/// Makes client-supplied text safe for a log line or a problem detail: control characters (CR, LF, ESC, NUL…) become
/// visible escapes, so no client can forge a log line or a terminal sequence, and the text is cut at a stated length.
/// </summary>
public static class LogText
{
    /// <summary>Escapes control characters of <paramref name="text"/> and keeps at most <paramref name="maxChars"/> of it, saying how many more there were.</summary>
    public static string Escape(string? text, int maxChars = 200)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        var b = new StringBuilder(Math.Min(text.Length, maxChars) + 16);
        var i = 0;
        for (; i < text.Length && b.Length < maxChars; i++)
        {
            var c = text[i];
            if (char.IsControl(c) || c is '\u2028' or '\u2029')
                b.Append(c switch { '\n' => "\\n", '\r' => "\\r", '\t' => "\\t", _ => "\\u" + ((int)c).ToString("x4", CultureInfo.InvariantCulture) });
            else b.Append(c);
        }
        if (i < text.Length) b.Append(CultureInfo.InvariantCulture, $"… ({text.Length - i} more characters)");
        return b.ToString();
    }

    /// <summary>
    /// Joins at most <paramref name="maxItems"/> items (each escaped and cut to <paramref name="maxItemChars"/>), then says how
    /// many more there were: a header of 60,000 commas yields one short sentence, not megabytes.
    /// </summary>
    public static string List(IReadOnlyCollection<string> items, int maxItems = 10, int maxItemChars = 64)
    {
        var shown = string.Join(", ", items.Take(maxItems).Select(s => Escape(s, maxItemChars)));
        return items.Count > maxItems ? $"{shown} and {items.Count - maxItems} more" : shown;
    }
}
