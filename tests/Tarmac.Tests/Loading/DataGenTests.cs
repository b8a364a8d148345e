using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Validation;
using Tarmac.DataGen;

namespace Tarmac.Tests.Loading;

public class DataGenTests
{
    private static readonly DatasetSchema Flights = SchemaCatalog.Parse("flights", File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "schemas", "flights.json")));

    private sealed class CountingSink : IRowSink
    {
        public long Rows;
        public long Cancelled;
        public void Append(ReadOnlySpan<FieldValue> row, long line)
        {
            Rows++;
            if (row[4].IsNull) Cancelled++; // dep_time
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_bytes_and_another_seed_other_bytes()
    {
        var a = new FlightsGenerator(42).ToArray(5000);
        Assert.Equal(a, new FlightsGenerator(42).ToArray(5000));
        Assert.NotEqual(a, new FlightsGenerator(43).ToArray(5000));
        Assert.StartsWith(FlightsGenerator.Header + "\n", Encoding.ASCII.GetString(a, 0, 400));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(20_000)]
    public async Task Every_generated_row_passes_the_validator_and_about_one_in_forty_is_cancelled(int rows)
    {
        var bytes = new FlightsGenerator(7).ToArray(rows);
        var sink = new CountingSink();
        var result = await CsvValidator.ValidateAsync(new MemoryStream(bytes), Flights, sink, default);
        Assert.Null(result.FileError);
        Assert.Equal(0, result.RowsRejected);
        Assert.Equal(rows, result.RowsAccepted);
        Assert.Equal(rows + 1, bytes.Count(b => b == (byte)'\n'));
        if (rows >= 20_000) Assert.InRange(sink.Cancelled / (double)rows, 0.020, 0.030);
    }

    [Fact]
    public void Rows_use_the_seed_formats()
    {
        var lines = Encoding.ASCII.GetString(new FlightsGenerator(1).ToArray(2000)).Split('\n');
        var flown = lines.Skip(1).First(l => !l.Split(',')[4].Equals("", StringComparison.Ordinal)).Split(',');
        Assert.Matches(@"^\d{1,4}\.0$", flown[4]); // dep_time like 517.0
        Assert.Matches(@"^-?\d+\.0$", flown[6]); // dep_delay like 2.0
        Assert.Matches(@"^\d{4}-\d{2}-\d{2} \d{2}:00:00$", flown[19]); // time_hour
        var cancelled = lines.Skip(1).First(l => l.Length > 0 && l.Split(',')[4].Length == 0).Split(',');
        Assert.Equal(["", "", "", ""], new[] { cancelled[6], cancelled[7], cancelled[9], cancelled[15] });
    }
}
