using System.Globalization;

namespace Tarmac.Testing;

/// <summary>
/// Reads samples out of a <c>/metrics</c> scrape (Prometheus text format 0.0.4). The benchmark compiles this file too
/// (it runs the host as a process of its own and cannot reference the test host).
/// </summary>
public static class PrometheusText
{
    /// <summary>
    /// The value of the one sample named <paramref name="name"/> whose labels include every one of <paramref name="labels"/>
    /// (<c>key="value"</c>), or null when there is none; more than one such sample fails, so a test names the one it means.
    /// </summary>
    public static double? Value(string scrape, string name, params string[] labels)
    {
        var values = Samples(scrape, name, labels).Take(2).ToList();
        if (values.Count > 1) throw new InvalidOperationException($"More than one sample {name} with {string.Join(", ", labels)}.");
        return values.Count == 0 ? null : values[0];
    }

    /// <summary>The sum of the samples named <paramref name="name"/> with all of <paramref name="labels"/>; 0 when there is none.</summary>
    public static double Sum(string scrape, string name, params string[] labels) => Samples(scrape, name, labels).Sum();

    private static IEnumerable<double> Samples(string scrape, string name, string[] labels)
    {
        foreach (var line in scrape.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#') continue;
            var brace = line.IndexOf('{', StringComparison.Ordinal);
            var sample = brace >= 0 ? line[..brace] : line[..line.IndexOf(' ', StringComparison.Ordinal)];
            if (sample != name) continue;
            var close = brace >= 0 ? line.LastIndexOf('}') : -1;
            var labelText = brace >= 0 ? line[(brace + 1)..close] : "";
            if (!labels.All(l => labelText.Split(',').Contains(l, StringComparer.Ordinal))) continue;
            // A timestamp may follow the value: the value is the field after the labels.
            yield return double.Parse(line[(close >= 0 ? close + 1 : sample.Length)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
    }
}
