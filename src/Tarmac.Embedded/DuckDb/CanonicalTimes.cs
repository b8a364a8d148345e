namespace Tarmac.Embedded;

/// <summary>
/// The date and timestamp spellings the bulk path may load without asking the C# parser, decided on the raw bytes of a
/// field while <see cref="PlainCsvRewriter"/> copies the file, as <see cref="CanonicalNumbers"/> does for numbers: for these
/// texts DuckDB's reader and the C# parser give the same value, and the text is what DuckDB's <c>strftime</c> would write
/// back, which is what the SQL check on text columns accepts.
/// </summary>
internal static class CanonicalTimes
{
    /// <summary>
    /// <c>YYYY-MM-DD</c>, a real calendar day of a year from 1000 to 9999 (earlier years are left to the C# parser: no
    /// question of how either side pads them).
    /// </summary>
    public static bool IsDate(ReadOnlySpan<byte> f) => f.Length == 10 && IsDay(f);

    /// <summary><c>YYYY-MM-DD HH:MM:SS</c>: a day as <see cref="IsDate"/> accepts it, hours 00-23, minutes and seconds 00-59.</summary>
    public static bool IsTimestamp(ReadOnlySpan<byte> f) =>
        f.Length == 19 && IsDay(f) && f[10] == (byte)' ' && f[13] == (byte)':' && f[16] == (byte)':'
        && Two(f[11..]) is >= 0 and <= 23 && Two(f[14..]) is >= 0 and <= 59 && Two(f[17..]) is >= 0 and <= 59;

    private static bool IsDay(ReadOnlySpan<byte> f)
    {
        if (f[4] != (byte)'-' || f[7] != (byte)'-') return false;
        var century = Two(f);
        var yy = Two(f[2..]);
        var month = Two(f[5..]);
        var day = Two(f[8..]);
        if (century < 10 || yy < 0 || month is < 1 or > 12 || day < 1) return false;
        return day <= DateTime.DaysInMonth(century * 100 + yy, month);
    }

    /// <summary>The two ASCII digits at the start of <paramref name="f"/> as a number, or -1.</summary>
    private static int Two(ReadOnlySpan<byte> f)
    {
        var a = f[0] - '0';
        var b = f[1] - '0';
        return (uint)a <= 9 && (uint)b <= 9 ? a * 10 + b : -1;
    }
}
