namespace Tarmac.Core.Query;

/// <summary>
/// A bounded page of rows, held in memory: values by column as typed CLR values (see <see cref="Filter"/>; null for
/// NULL), and the position the next page starts after, or null when this page is the last.
/// </summary>
public sealed record RowsPage(IReadOnlyList<ResultColumn> Columns, IReadOnlyList<object?[]> Rows, KeysetPosition? Next)
{
    /// <summary>The largest limit a page is read for; larger results are exports and stream.</summary>
    public const int MaxRows = 10_000;

    /// <summary>Writes the page's rows to <paramref name="writer"/> as a streamed result would be.</summary>
    public async Task WriteToAsync(IRowWriter writer, CancellationToken ct)
    {
        await writer.BeginAsync(Columns, ct);
        var row = new HeldRow();
        foreach (var values in Rows)
        {
            row.Values = values;
            await writer.WriteRowAsync(row, ct);
        }
    }

    /// <summary>A held row, read with the same typed getters as a live reader.</summary>
    private sealed class HeldRow : IResultRow
    {
        public object?[] Values { get; set; } = [];
        public bool IsNull(int ordinal) => Values[ordinal] is null;
        public long GetInt64(int ordinal) => (long)Values[ordinal]!;
        public double GetDouble(int ordinal) => (double)Values[ordinal]!;
        public decimal GetDecimal(int ordinal) => (decimal)Values[ordinal]!;
        public bool GetBoolean(int ordinal) => (bool)Values[ordinal]!;
        public string GetString(int ordinal) => (string)Values[ordinal]!;
        public DateOnly GetDate(int ordinal) => (DateOnly)Values[ordinal]!;
        public DateTimeOffset GetTimestamp(int ordinal) => (DateTimeOffset)Values[ordinal]!;
    }
}
