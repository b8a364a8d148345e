namespace Tarmac.Embedded;

/// <summary>
/// The number spellings the bulk path may load without asking the C# parser, decided on the raw bytes of a field while
/// <see cref="PlainCsvRewriter"/> copies the file: for these texts DuckDB's cast and the C# parser give the same value.
/// Doing it here, in one pass over bytes the copy reads anyway, replaced a regular expression per numeric field in DuckDB,
/// which was about a third of the bulk statement's time.
/// </summary>
internal static class CanonicalNumbers
{
    /// <summary>
    /// <c>-?[0-9]{1,18}</c> (at most 18 digits: no overflow in either parser) or <c>-?[0-9]{1,15}\.0</c> (the pandas
    /// spelling of a nullable integer; C# reads it through a double, which holds every integer of up to 15 digits exactly).
    /// </summary>
    public static bool IsInteger(ReadOnlySpan<byte> f)
    {
        if (f.Length > 0 && f[0] == (byte)'-') f = f[1..];
        var digits = LeadingDigits(f);
        if (digits == f.Length) return digits is >= 1 and <= 18;
        return digits is >= 1 and <= 15 && f.Length == digits + 2 && f[digits] == (byte)'.' && f[digits + 1] == (byte)'0';
    }

    /// <summary>
    /// <c>-?[0-9]{1,15}(\.[0-9]{1,15})?</c> in at most 16 characters: at most 15 significant digits and no exponent, so the
    /// decimal is digits / 10^k with both parts exact doubles, and any correctly rounding parser (both are) gives the same double.
    /// </summary>
    public static bool IsFloat(ReadOnlySpan<byte> f)
    {
        if (f.Length > 16) return false;
        if (f.Length > 0 && f[0] == (byte)'-') f = f[1..];
        var whole = LeadingDigits(f);
        if (whole is < 1 or > 15) return false;
        if (whole == f.Length) return true;
        if (f[whole] != (byte)'.') return false;
        var fraction = f.Length - whole - 1;
        return fraction is >= 1 and <= 15 && LeadingDigits(f[(whole + 1)..]) == fraction;
    }

    private static int LeadingDigits(ReadOnlySpan<byte> f)
    {
        var i = f.IndexOfAnyExceptInRange((byte)'0', (byte)'9');
        return i < 0 ? f.Length : i;
    }
}
