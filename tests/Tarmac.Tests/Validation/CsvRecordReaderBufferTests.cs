using Tarmac.Core.Validation;

namespace Tarmac.Tests.Validation;

/// <summary>
/// The record reader's buffer is sized to the file for small uploads (issue 14: no 128 KB allocation per takeoff); records,
/// lines and faults must not depend on where the buffer boundaries fall, down to one character at a time.
/// </summary>
public class CsvRecordReaderBufferTests
{
    private const string Tricky = "\uFEFFid,label\r\n1,\"a \"\"quoted\"\"\r\nvalue\"\r\n\r\n2,plain\r3,\"unclosed\n4,x\"y\n5,last";

    private static async Task<List<string>> ReadAll(int bufferChars)
    {
        var reader = new CsvRecordReader(new StringReader(Tricky), ',', CsvRecordReader.DefaultMaxRecordBytes, bufferChars);
        var records = new List<string>();
        while (await reader.ReadAsync(CancellationToken.None))
            records.Add($"{reader.Line}|{reader.Malformed}|{string.Join("¦", Enumerable.Range(0, reader.FieldCount).Select(i => reader.Field(i).ToString()))}");
        return records;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(1 << 20)] // capped at 64K
    public async Task Any_buffer_size_reads_the_same_records(int bufferChars)
    {
        var expected = await ReadAll(1 << 16);
        Assert.Equal(6, expected.Count);
        Assert.Equal("1||id¦label", expected[0]);
        Assert.Equal("2||1¦a \"quoted\"\r\nvalue", expected[1]);
        Assert.Equal(expected, await ReadAll(bufferChars));
    }

    [Fact]
    public void A_buffer_of_no_characters_is_refused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new CsvRecordReader(new StringReader(""), ',', CsvRecordReader.DefaultMaxRecordBytes, 0));
}
