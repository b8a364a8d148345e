using System.Globalization;

namespace Tarmac.Cli.Upload;

/// <summary>Sizes, rates and durations as people read them.</summary>
public static class ByteText
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB"];

    /// <summary><c>512 B</c>, <c>1.5 KiB</c>, <c>30.0 MiB</c>.</summary>
    public static string Size(double bytes)
    {
        var unit = 0;
        while (bytes >= 1024 && unit < Units.Length - 1)
        {
            bytes /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes.ToString("0", CultureInfo.InvariantCulture)} B" : $"{bytes.ToString("0.0", CultureInfo.InvariantCulture)} {Units[unit]}";
    }

    /// <summary><c>0:01:05</c>.</summary>
    public static string Duration(TimeSpan t) => t.ToString(@"h\:mm\:ss", CultureInfo.InvariantCulture);
}
