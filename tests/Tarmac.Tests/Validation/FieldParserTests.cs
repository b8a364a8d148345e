using Tarmac.Core.Datasets;
using Tarmac.Core.Validation;

namespace Tarmac.Tests.Validation;

public class FieldParserTests
{
    private static ColumnSchema Col(ColumnType t, bool required = false) => new("c", t, required, 0);

    private static (FieldValue Value, string? Error) Parse(string text, ColumnType t, bool required = false)
    {
        var v = new FieldValue();
        var error = FieldParser.TryParse(text, Col(t, required), ref v);
        return (v, error);
    }

    [Theory]
    [InlineData("517", 517)]
    [InlineData("517.0", 517)]
    [InlineData("-18.0", -18)]
    [InlineData(" 42 ", 42)]
    [InlineData("5.17e2", 517)]
    public void Integer_accepts_integers_and_integral_floats(string text, long expected)
    {
        var (v, error) = Parse(text, ColumnType.Integer);
        Assert.Null(error);
        Assert.Equal(expected, v.Int64);
    }

    [Theory]
    [InlineData("517.5")]
    [InlineData("abc")]
    [InlineData("1e30")]
    [InlineData("NaN")]
    public void Integer_rejects_fractions_text_and_out_of_range(string text) =>
        Assert.NotNull(Parse(text, ColumnType.Integer).Error);

    [Fact]
    public void Timestamp_without_zone_is_utc()
    {
        var (v, error) = Parse("2013-01-01 05:00:00", ColumnType.Timestamp);
        Assert.Null(error);
        Assert.Equal(new DateTime(2013, 1, 1, 5, 0, 0, DateTimeKind.Utc), v.DateTime);
        Assert.Equal(DateTimeKind.Utc, v.DateTime.Kind);
    }

    [Fact]
    public void Timestamp_with_offset_is_converted_to_utc()
    {
        var (v, error) = Parse("2013-01-01T05:00:00-03:00", ColumnType.Timestamp);
        Assert.Null(error);
        Assert.Equal(new DateTime(2013, 1, 1, 8, 0, 0, DateTimeKind.Utc), v.DateTime);
    }

    [Theory]
    [InlineData("01/01/2013 05:00")]
    [InlineData("2013-13-01 05:00:00")]
    public void Timestamp_rejects_other_formats(string text) => Assert.NotNull(Parse(text, ColumnType.Timestamp).Error);

    [Fact]
    public void Empty_is_null_when_nullable_and_an_error_when_required()
    {
        var (v, error) = Parse("", ColumnType.Float);
        Assert.Null(error);
        Assert.True(v.IsNull);
        Assert.Contains("REQUIRED", Parse("", ColumnType.Integer, required: true).Error);
    }

    [Theory]
    [InlineData("true", true)]
    [InlineData("F", false)]
    [InlineData("yes", true)]
    [InlineData("0", false)]
    public void Boolean_accepts_bigquery_spellings(string text, bool expected)
    {
        var (v, error) = Parse(text, ColumnType.Boolean);
        Assert.Null(error);
        Assert.Equal(expected, v.Boolean);
    }

    [Fact]
    public void Date_numeric_float_and_string_parse_exactly()
    {
        Assert.Equal(new DateTime(2013, 1, 31), Parse("2013-01-31", ColumnType.Date).Value.DateTime);
        Assert.NotNull(Parse("2013-02-30", ColumnType.Date).Error);
        Assert.Equal(12.345m, Parse("12.345", ColumnType.Numeric).Value.Decimal);
        Assert.Equal(-1.5, Parse("-1.5", ColumnType.Float).Value.Double);
        Assert.NotNull(Parse("Infinity", ColumnType.Float).Error);
        Assert.Equal(" padded ", Parse(" padded ", ColumnType.String).Value.String);
    }
}
