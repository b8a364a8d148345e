namespace Tarmac.GoogleCloud.Tests;

/// <summary>Sample files shipped with the tests.</summary>
public static class SampleData
{
    /// <summary>The seed's 7-row test.csv, byte for byte.</summary>
    public static string SeedCsv => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", "seed-test.csv"));
}
