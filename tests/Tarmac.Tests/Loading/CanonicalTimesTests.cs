using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using Tarmac.Embedded;

namespace Tarmac.Tests.Loading;

/// <summary>
/// Issue 14: the bulk path reads dates and timestamps typed when the rewriter found them canonical, instead of checking
/// every value's text in SQL. A canonical spelling must be one the SQL check accepts (DuckDB casts it and
/// <c>strftime</c> writes it back unchanged); from year 1000 on, the two must agree on every day and on the edges.
/// </summary>
public class CanonicalTimesTests
{
    private static readonly string[] Hostile =
    [
        "2013-01-01", "0999-12-31", "0001-01-01", "0000-01-01", "1000-01-01", "9999-12-31", "2012-02-29", "2013-02-29",
        "2000-02-29", "1900-02-29", "2013-04-31", "2013-13-01", "2013-00-10", "2013-01-00", "2013-1-01", "2013-01-1",
        " 2013-01-01", "2013-01-01 ", "+2013-01-01", "2013/01/01", "20130101", "2013-01-0a", "２013-01-01", "-2013-01-01",
        "2013-01-01 05:00:00", "2013-01-01 23:59:59", "2013-01-01 24:00:00", "2013-01-01 23:60:00", "2013-01-01 23:59:60",
        "2013-01-01T05:00:00", "2013-01-01 05:00:00.5", "2013-01-01 05:00", "2013-01-01 5:00:00", "2013-01-01 05:00:00Z",
        "2013-01-01 05:00:00+02", "2013-02-30 00:00:00", "0999-12-31 23:59:59", "1000-01-01 00:00:00", "9999-12-31 23:59:59",
        "2013-01-01  05:00:00", "2013-01-01 05:00:0a",
    ];

    private static readonly int[] Years = [1000, 1600, 1900, 2000, 2012, 2013, 2100, 9999];
    private static readonly string[] Times = ["00:00:00", "05:07:09", "12:30:45", "23:59:59", "24:00:00", "23:60:00", "23:59:60", "99:00:00"];
    private static readonly string[] Days = ["1000-01-01", "2012-02-29", "2013-02-29", "2013-12-31", "9999-12-31"];

    [Fact]
    public void Canonical_dates_are_what_the_sql_check_accepts()
    {
        var days = Years.SelectMany(y => Enumerable.Range(-20, y == 9999 ? 385 : 400).Select(d => new DateTime(y, 1, 1).AddDays(d)))
            .Where(d => d.Year >= 1000).Select(d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        AssertAgrees(days.Concat(Hostile), "DATE", "%Y-%m-%d", CanonicalTimes.IsDate);
        Assert.True(CanonicalTimes.IsDate("2013-01-01"u8));
        Assert.False(CanonicalTimes.IsDate("0999-12-31"u8)); // left to the C# parser
    }

    [Fact]
    public void Canonical_timestamps_are_what_the_sql_check_accepts()
    {
        var times = Times.SelectMany(t => Days.Select(d => $"{d} {t}"));
        AssertAgrees(times.Concat(Hostile), "TIMESTAMP", "%Y-%m-%d %H:%M:%S", CanonicalTimes.IsTimestamp);
        Assert.True(CanonicalTimes.IsTimestamp("2013-01-01 05:00:00"u8));
    }

    /// <summary>
    /// Canonical implies accepted by the SQL check (what keeps the two bulk statements complementary); from year 1000 on,
    /// accepted by the SQL check implies canonical (no value needlessly sent to the C# parser).
    /// </summary>
    private static void AssertAgrees(IEnumerable<string> spellings, string type, string format, Func<ReadOnlySpan<byte>, bool> canonical)
    {
        using var c = new DuckDBConnection("Data Source=:memory:");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = $"SELECT coalesce(year(v) >= 1 AND strftime(v, '{format}') = $s, false) FROM (SELECT TRY_CAST($s AS {type}) AS v)";
        var p = new DuckDBParameter("s", "");
        cmd.Parameters.Add(p);
        var checkedCount = 0;
        foreach (var s in spellings.Distinct())
        {
            p.Value = s;
            var sqlAccepts = (bool)cmd.ExecuteScalar()!;
            var isCanonical = canonical(Encoding.UTF8.GetBytes(s));
            if (isCanonical) Assert.True(sqlAccepts, $"'{s}' is canonical but the SQL check rejects it");
            if (sqlAccepts && int.Parse(s[..4], CultureInfo.InvariantCulture) >= 1000) Assert.True(isCanonical, $"'{s}' passes the SQL check but is not canonical");
            checkedCount++;
        }
        Assert.True(checkedCount > 40);
    }
}
