using System.Globalization;

namespace Tarmac.Testing;

/// <summary>Reads samples out of a <c>/metrics</c> scrape (Prometheus text format 0.0.4).</summary>
public static class PrometheusText
{
    /// <summary>
    /// The value of the one sample named <paramref name="name"/> whose labels include every one of <paramref name="labels"/>
    /// (<c>key="value"</c>), or null when there is none; more than one such sample fails, so a test names the one it means.
    /// </summary>
    public static double? Value(string scrape, string name, params string[] labels)
    {
        double? found = null;
        foreach (var line in scrape.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var sample = brace >= 0 ? line[..brace] : line[..line.IndexOf(' ', StringComparison.Ordinal)];
            if (sample != name) continue;
            var labelText = brace >= 0 ? line[(brace + 1)..line.LastIndexOf('}')] : "";
            if (!labels.All(l => labelText.Split(',').Contains(l, StringComparer.Ordinal))) continue;
            if (found is not null) throw new InvalidOperationException($"More than one sample {name} with {string.Join(", ", labels)}.");
            // A timestamp may follow the value: the value is the field after the labels.
            var fields = line[(brace >= 0 ? line.LastIndexOf('}') + 1 : sample.Length)..].Trim().Split(' ');
            found = double.Parse(fields[0], CultureInfo.InvariantCulture);
        }
        return found;
    }
}
