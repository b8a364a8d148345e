using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Validation;

namespace Tarmac.Tests.Validation;

public class CsvValidatorTests
{
    private static readonly DatasetSchema Schema = SchemaCatalog.Parse("things", """
        [{"name":"id","type":"INTEGER","mode":"REQUIRED"},
         {"name":"label","type":"STRING"},
         {"name":"score","type":"FLOAT"},
         {"name":"at","type":"TIMESTAMP"}]
        """);

    private sealed class ListSink : IRowSink
    {
        public List<(long Line, long Id, string? Label, bool ScoreNull)> Rows { get; } = [];
        public void Append(ReadOnlySpan<FieldValue> row, long line) => Rows.Add((line, row[0].Int64, row[1].String, row[2].IsNull));
    }

    private static async Task<(ValidationResult Result, ListSink Sink)> Validate(string csv)
    {
        var sink = new ListSink();
        var result = await CsvValidator.ValidateAsync(new MemoryStream(Encoding.UTF8.GetBytes(csv)), Schema, sink, CancellationToken.None);
        return (result, sink);
    }

    [Fact]
    public async Task Columns_in_any_order_and_absent_nullable_columns_load()
    {
        var (result, sink) = await Validate("label,id\nalpha,1\nbeta,2");
        Assert.Null(result.FileError);
        Assert.Equal(2, result.RowsAccepted);
        Assert.Equal([(2L, 1L, "alpha", true), (3L, 2L, "beta", true)], sink.Rows);
    }

    [Fact]
    public async Task Errors_carry_the_file_line_even_after_a_quoted_newline()
    {
        var (result, sink) = await Validate("id,label,score\n1,\"two\nlines\",1.5\r\nx,ok,2\n3,ok,not-a-number\n\n4,ok\n5,ok,5");
        Assert.Equal(2, result.RowsAccepted);
        Assert.Equal(3, result.RowsRejected);
        Assert.Equal([1L, 5L], sink.Rows.Select(r => r.Id));
        Assert.Equal("two\nlines", sink.Rows[0].Label);
        Assert.Equal(
            [
                new RowError(4, "id", "x", "must be an integer"),
                new RowError(5, "score", "not-a-number", "must be a finite number"),
                new RowError(7, null, "4,ok", "expected 3 fields as in the header, found 2"),
            ],
            result.Errors);
        Assert.Equal(8, sink.Rows[1].Line);
    }

    [Fact]
    public async Task A_row_with_several_bad_fields_counts_once_and_reports_each()
    {
        var (result, _) = await Validate("id,score,at\n,abc,yesterday");
        Assert.Equal(1, result.RowsRejected);
        Assert.Equal(["id", "score", "at"], result.Errors.Select(e => e.Column));
    }

    [Fact]
    public async Task Only_the_first_hundred_errors_are_kept()
    {
        var csv = "id\n" + string.Join("\n", Enumerable.Range(0, 250).Select(i => "bad" + i));
        var (result, _) = await Validate(csv);
        Assert.Equal(250, result.RowsRejected);
        Assert.Equal(100, result.Errors.Count);
        Assert.Equal(101, result.Errors[^1].Line);
    }

    [Fact]
    public async Task A_header_that_does_not_match_rejects_the_file()
    {
        var (result, sink) = await Validate("label,color\na,b");
        Assert.Empty(sink.Rows);
        Assert.Contains("missing required column(s): id", result.FileError);
        Assert.Contains("unknown column(s): color", result.FileError);
        Assert.Equal(1, result.Errors.Single().Line);
    }

    [Fact]
    public void Header_check_names_missing_unknown_and_duplicated_columns()
    {
        Assert.NotNull(CsvHeader.TryCreate(Schema, ["\uFEFFID", " label "], out var ok));
        Assert.Null(ok);
        Assert.Null(CsvHeader.TryCreate(Schema, ["label", "label", "colour"], out var problem));
        Assert.Equal(
            "The CSV header does not match dataset 'things': missing required column(s): id; unknown column(s): colour; duplicated column(s): label. Expected columns: id, label, score, at.",
            problem);
        Assert.Equal(["a", "b,c", "d\"e"], CsvHeader.SplitLine("a,\"b,c\",\"d\"\"e\"\r\n"));
    }

    [Fact]
    public void Header_mapping_of_the_same_names_is_reused_and_other_names_get_their_own()
    {
        var first = CsvHeader.TryCreate(Schema, ["id", "label"], out _)!;
        Assert.Same(first, CsvHeader.TryCreate(Schema, ["id", "label"], out _));
        var swapped = CsvHeader.TryCreate(Schema, ["label", "id"], out _)!;
        Assert.Equal(["label", "id"], swapped.FileColumns.Select(c => c!.Name));
        Assert.Equal(["id", "label"], CsvHeader.TryCreate(Schema, ["id", "label"], out _)!.FileColumns.Select(c => c!.Name));
        // Names that differ from the kept ones only in case or by one name are checked afresh, problems included.
        Assert.NotNull(CsvHeader.TryCreate(Schema, ["ID", "label"], out var cased));
        Assert.Null(cased);
        Assert.Null(CsvHeader.TryCreate(Schema, ["id", "label", "colour"], out var problem));
        Assert.Contains("unknown column(s): colour", problem);
        Assert.Null(CsvHeader.TryCreate(Schema, ["id", "label", "colour"], out var again));
        Assert.Equal(problem, again);
    }
}
