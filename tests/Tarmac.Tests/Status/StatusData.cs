using System.Text;
using Tarmac.Testing;

namespace Tarmac.Tests.Status;

/// <summary>Uploads with known rows for the status page's tests: slices of the seed's file, one with a bad year.</summary>
public static class StatusData
{
    private static string[] SeedLines => SampleData.SeedCsv.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    /// <summary>The header and the seed's records <paramref name="from"/>..<paramref name="to"/> (1-based, inclusive).</summary>
    public static string Rows(int from, int to)
    {
        var lines = SeedLines;
        var csv = new StringBuilder(lines[0].TrimEnd('\r')).Append('\n');
        for (var i = from; i <= to; i++) csv.Append(lines[i].TrimEnd('\r')).Append('\n');
        return csv.ToString();
    }

    /// <summary>Three records of which the third (file line 4) has a year that is not an integer.</summary>
    public static string TwoGoodOneBad()
    {
        var lines = SeedLines;
        var bad = lines[6].TrimEnd('\r').Split(',');
        bad[1] = "notayear";
        return $"{lines[0].TrimEnd('\r')}\n{lines[4].TrimEnd('\r')}\n{lines[5].TrimEnd('\r')}\n{string.Join(',', bad)}\n";
    }
}
