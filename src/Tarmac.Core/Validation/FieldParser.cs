using System.Globalization;
using Tarmac.Core.Datasets;

namespace Tarmac.Core.Validation;

/// <summary>
/// Parses one CSV field into a typed value the way BigQuery's CSV loader would accept it,
/// with the few leniencies real files need (integral floats such as <c>517.0</c> in INTEGER columns,
/// timestamps without a zone meaning UTC). Works on spans: no string per field unless the column is STRING.
/// </summary>
public static class FieldParser
{
    private static readonly string[] TimestampFormats =
    [
        "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm", "yyyy-MM-dd'T'HH:mm",
        "yyyy-MM-dd HH:mm:ss.FFFFFFF", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF", "yyyy-MM-dd",
        "yyyy-MM-dd HH:mm:ssK", "yyyy-MM-dd'T'HH:mm:ssK", "yyyy-MM-dd HH:mm:ss.FFFFFFFK", "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFK",
        "yyyy-MM-dd HH:mmK", "yyyy-MM-dd'T'HH:mmK",
    ];

    /// <summary>
    /// Parses <paramref name="text"/> as a value of <paramref name="column"/>.
    /// Returns null on success, or the reason the value is not acceptable.
    /// </summary>
    public static string? TryParse(ReadOnlySpan<char> text, ColumnSchema column, ref FieldValue value)
    {
        value.String = null;
        if (text.IsEmpty)
        {
            value.IsNull = true;
            return column.Required ? "a value is required (the column is REQUIRED)" : null;
        }
        value.IsNull = false;
        var trimmed = column.Type == ColumnType.String ? text : text.Trim();
        switch (column.Type)
        {
            case ColumnType.String:
                value.String = new string(text);
                return null;
            case ColumnType.Integer:
                if (long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value.Int64)) return null;
                // Files exported by pandas write nullable integer columns as floats (517.0): accept integral ones.
                if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
                {
                    if (d != Math.Floor(d)) return "must be an integer (a whole number such as 517 or 517.0)";
                    if (d is < -9.2233720368547758E18 or >= 9.2233720368547758E18) return "integer out of the 64-bit range";
                    value.Int64 = (long)d;
                    return null;
                }
                return "must be an integer";
            case ColumnType.Float:
                if (double.TryParse(trimmed, NumberStyles.Float, CultureInfo.InvariantCulture, out value.Double) && double.IsFinite(value.Double)) return null;
                return "must be a finite number";
            case ColumnType.Numeric:
                if (decimal.TryParse(trimmed, NumberStyles.Number | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value.Decimal)) return null;
                return "must be a decimal number";
            case ColumnType.Boolean:
                if (TryParseBoolean(trimmed, out value.Boolean)) return null;
                return "must be a boolean (true/false, t/f, yes/no, y/n or 1/0)";
            case ColumnType.Date:
                if (DateTime.TryParseExact(trimmed, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out value.DateTime)) return null;
                return "must be a date as YYYY-MM-DD";
            case ColumnType.Timestamp:
                if (DateTime.TryParseExact(trimmed, TimestampFormats, CultureInfo.InvariantCulture,
                        DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out value.DateTime)) return null;
                return "must be an ISO 8601 timestamp such as 2013-01-01 05:00:00 (UTC when no zone is given)";
            default:
                return "unsupported column type";
        }
    }

    private static bool TryParseBoolean(ReadOnlySpan<char> s, out bool result)
    {
        if (s.Equals("true", StringComparison.OrdinalIgnoreCase) || s.Equals("t", StringComparison.OrdinalIgnoreCase) ||
            s.Equals("yes", StringComparison.OrdinalIgnoreCase) || s.Equals("y", StringComparison.OrdinalIgnoreCase) || s.SequenceEqual("1"))
        { result = true; return true; }
        if (s.Equals("false", StringComparison.OrdinalIgnoreCase) || s.Equals("f", StringComparison.OrdinalIgnoreCase) ||
            s.Equals("no", StringComparison.OrdinalIgnoreCase) || s.Equals("n", StringComparison.OrdinalIgnoreCase) || s.SequenceEqual("0"))
        { result = false; return true; }
        result = false;
        return false;
    }
}
