using Tarmac.Core.Datasets;
using Tarmac.Testing;

namespace Tarmac.Tests.Validation;

public class SchemaCatalogTests
{
    [Fact]
    public void The_shipped_flights_schema_has_the_seed_columns()
    {
        var catalog = SchemaCatalog.Load(Path.Combine(AppContext.BaseDirectory, "schemas"));
        Assert.True(catalog.TryGet("flights", out var flights));
        Assert.Equal(21, flights.Columns.Count);
        Assert.Equal(["id", "year", "month", "day"], flights.Columns.Where(c => c.Required).Select(c => c.Name));
        Assert.Equal(ColumnType.Timestamp, flights.Columns.Single(c => c.Name == "time_hour").Type);
    }

    [Fact]
    public void Each_schema_file_is_a_dataset_and_options_files_are_not()
    {
        var dir = TempDirs.Create("schemas");
        File.WriteAllText(Path.Combine(dir, "a.json"), """[{"name":"x","type":"STRING"}]""");
        File.WriteAllText(Path.Combine(dir, "b.json"), """[{"name":"y","type":"INT64","mode":"REQUIRED"}]""");
        File.WriteAllText(Path.Combine(dir, "b.options.json"), """{"all_or_nothing": true}""");
        var catalog = SchemaCatalog.Load(dir);
        Assert.Equal(["a", "b"], catalog.Datasets.Select(d => d.Name).Order());
        Assert.True(catalog.TryGet("b", out var b));
        Assert.True(b.Options.AllOrNothing);
        Assert.Equal(ColumnType.Integer, b.Columns[0].Type);
    }

    [Theory]
    [InlineData("""[{"name":"x","type":"GEOGRAPHY"}]""", "unsupported type 'GEOGRAPHY'")]
    [InlineData("""[{"name":"x","type":"STRING","mode":"REPEATED"}]""", "unsupported mode 'REPEATED'")]
    [InlineData("""[{"name":"x","type":"STRING"},{"name":"X","type":"STRING"}]""", "declared twice")]
    [InlineData("""[{"name":"_x","type":"STRING"}]""", "reserved for system columns")]
    [InlineData("""{"fields":[]}""", "not a BigQuery JSON schema array")]
    public void A_malformed_schema_is_refused_with_the_reason(string json, string reason)
    {
        var e = Assert.Throws<InvalidDataException>(() => SchemaCatalog.Parse("d", json));
        Assert.Contains(reason, e.Message);
    }

    [Theory]
    [InlineData(""";""", ';')]
    [InlineData("""\t""", '\t')]
    public void A_dataset_may_fix_its_delimiter(string delimiter, char expected) =>
        Assert.Equal(expected, SchemaCatalog.Parse("d", """[{"name":"x","type":"STRING"}]""", $$"""{"delimiter": "{{delimiter}}"}""").Options.Separator);

    [Theory]
    [InlineData("""{"delimiter": ";;"}""")]
    [InlineData("""{"delimiter": ""}""")]
    [InlineData("""{"delimiter": "\""}""")]
    [InlineData("""{"delimiter": "\n"}""")]
    [InlineData("""{"delimiter": "€"}""")]
    public void A_delimiter_that_is_not_one_plain_ASCII_character_is_refused(string options)
    {
        var e = Assert.Throws<InvalidDataException>(() => SchemaCatalog.Parse("d", """[{"name":"x","type":"STRING"}]""", options));
        Assert.Contains("must be one ASCII character other than a quote, CR, LF or NUL", e.Message);
    }
}
