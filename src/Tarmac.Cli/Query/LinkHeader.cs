using System.Text.RegularExpressions;

namespace Tarmac.Cli.Query;

/// <summary>The <c>rel="next"</c> target of an RFC 8288 <c>Link</c> header.</summary>
public static partial class LinkHeader
{
    /// <summary>The next page's URL (relative to the host, as the server writes it), or null on the last page.</summary>
    public static string? Next(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Link", out var values)) return null;
        foreach (var value in values)
            foreach (Match m in LinkValue().Matches(value))
                if (m.Groups["rel"].Value.Split(' ').Contains("next", StringComparer.OrdinalIgnoreCase)) return m.Groups["url"].Value;
        return null;
    }

    [GeneratedRegex("""<(?<url>[^>]*)>\s*;\s*rel="?(?<rel>[^";,]+)"?""")]
    private static partial Regex LinkValue();
}
