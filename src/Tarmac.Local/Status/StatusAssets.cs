using System.Reflection;

namespace Tarmac.Local.Status;

/// <summary>The page's HTML, styles and scripts, embedded in the assembly (nothing is fetched from elsewhere).</summary>
internal static class StatusAssets
{
    public const string Html = "status.html";
    public const string Css = "status.css";
    public const string ChartScript = "chart.js";
    public const string PageScript = "status.js";

    private static readonly Dictionary<string, byte[]> Contents = new[] { Html, Css, ChartScript, PageScript }
        .ToDictionary(name => name, Read, StringComparer.Ordinal);

    /// <summary>The bytes of an embedded asset.</summary>
    public static byte[] Get(string name) => Contents[name];

    private static byte[] Read(string name)
    {
        using var stream = typeof(StatusAssets).Assembly.GetManifestResourceStream("status/" + name)
            ?? throw new InvalidOperationException($"The status page asset '{name}' is not embedded in {typeof(StatusAssets).Assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
