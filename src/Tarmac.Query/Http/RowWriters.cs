using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Tarmac.Core.Datasets;
using Tarmac.Core.Query;

namespace Tarmac.Query.Http;

/// <summary>
/// Writes result rows straight into the response body as they are read: nothing is held beyond the pipe's
/// buffer, which is flushed every <see cref="FlushBytes"/> bytes.
/// </summary>
/// <remarks>
/// The token each call gets (the query and export time limits) is checked between rows; flushes wait under the token
/// <c>onBegin</c> returns instead, since Kestrel aborts the connection when a flush is cancelled and a cut-off export must
/// still be able to end with its own signal (<see cref="ExportCutOff"/>).
/// </remarks>
internal abstract class ResponseRowWriter(PipeWriter pipe, Func<CancellationToken> onBegin) : IRowWriter, IDisposable
{
    private const int FlushBytes = 32 * 1024;
    private CancellationToken _flush;
    protected PipeWriter Pipe { get; } = pipe;
    protected IReadOnlyList<ResultColumn> Columns { get; private set; } = [];

    /// <summary>The Content-Type of the format.</summary>
    public abstract string ContentType { get; }

    public async ValueTask BeginAsync(IReadOnlyList<ResultColumn> columns, CancellationToken ct)
    {
        Columns = columns;
        _flush = onBegin();
        WriteStart();
        await Pipe.FlushAsync(_flush);
    }

    public async ValueTask WriteRowAsync(IResultRow row, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        WriteRow(row);
        if (Pipe.UnflushedBytes >= FlushBytes) await Pipe.FlushAsync(_flush);
    }

    /// <summary>Ends the document (after the last row) and flushes.</summary>
    public async ValueTask CompleteAsync(CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        WriteEnd();
        await Pipe.FlushAsync(_flush);
    }

    public virtual void Dispose() { }

    protected abstract void WriteStart();
    protected abstract void WriteRow(IResultRow row);
    protected abstract void WriteEnd();

    /// <summary>Creates the writer for a format.</summary>
    public static ResponseRowWriter For(RowFormat format, PipeWriter pipe, Func<CancellationToken> onBegin) => format switch
    {
        RowFormat.Ndjson => new NdjsonRowWriter(pipe, onBegin),
        RowFormat.Csv => new CsvRowWriter(pipe, onBegin),
        _ => new JsonRowWriter(pipe, onBegin),
    };

    internal const string TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'";
}

/// <summary>A JSON array of objects (or one object per line for NDJSON), keys as the column names.</summary>
internal class JsonRowWriter : ResponseRowWriter
{
    private readonly Utf8JsonWriter _json;

    public JsonRowWriter(PipeWriter pipe, Func<CancellationToken> onBegin) : base(pipe, onBegin) =>
        _json = new Utf8JsonWriter(pipe, new JsonWriterOptions { SkipValidation = true });

    public override string ContentType => "application/json; charset=utf-8";

    public override void Dispose()
    {
        _json.Dispose();
        base.Dispose();
    }

    protected override void WriteStart()
    {
        _json.WriteStartArray();
        _json.Flush();
    }

    protected override void WriteRow(IResultRow row)
    {
        WriteObject(row);
        _json.Flush();
    }

    protected override void WriteEnd()
    {
        _json.WriteEndArray();
        _json.Flush();
    }

    protected void ResetJson() => _json.Reset();

    protected void WriteObject(IResultRow row)
    {
        _json.WriteStartObject();
        for (var i = 0; i < Columns.Count; i++)
        {
            var c = Columns[i];
            _json.WritePropertyName(c.Name);
            if (row.IsNull(i)) { _json.WriteNullValue(); continue; }
            switch (c.Type)
            {
                case ColumnType.Integer: _json.WriteNumberValue(row.GetInt64(i)); break;
                case ColumnType.Float: _json.WriteNumberValue(row.GetDouble(i)); break;
                case ColumnType.Numeric: _json.WriteNumberValue(row.GetDecimal(i)); break;
                case ColumnType.Boolean: _json.WriteBooleanValue(row.GetBoolean(i)); break;
                case ColumnType.String: _json.WriteStringValue(row.GetString(i)); break;
                case ColumnType.Date: _json.WriteStringValue(row.GetDate(i).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)); break;
                case ColumnType.Timestamp: _json.WriteStringValue(row.GetTimestamp(i).UtcDateTime.ToString(TimestampFormat, CultureInfo.InvariantCulture)); break;
            }
        }
        _json.WriteEndObject();
    }
}

/// <summary>Newline-delimited JSON: one object per line.</summary>
internal sealed class NdjsonRowWriter(PipeWriter pipe, Func<CancellationToken> onBegin) : JsonRowWriter(pipe, onBegin)
{
    public override string ContentType => "application/x-ndjson";

    protected override void WriteStart() { }

    protected override void WriteRow(IResultRow row)
    {
        base.WriteRow(row);
        ResetJson(); // each line is a document of its own: no separator before the next
        Pipe.Write("\n"u8);
    }

    protected override void WriteEnd() { }
}

/// <summary>
/// RFC 4180 CSV with a header line. Numbers are written unquoted in the invariant culture, timestamps as ISO 8601 UTC.
/// A STRING cell that a spreadsheet would run as a formula (starting with = + - @, tab or CR) gets a leading
/// apostrophe, so an exported file cannot carry a formula into a third party's spreadsheet.
/// </summary>
internal sealed class CsvRowWriter(PipeWriter pipe, Func<CancellationToken> onBegin) : ResponseRowWriter(pipe, onBegin)
{
    private static readonly SearchValues<char> NeedsQuotes = SearchValues.Create(",\"\r\n");
    private static readonly SearchValues<char> FormulaStart = SearchValues.Create("=+-@\t\r");

    public override string ContentType => "text/csv; charset=utf-8; header=present";

    protected override void WriteStart()
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (i > 0) Pipe.Write(","u8);
            WriteText(Columns[i].Name, neutralize: false);
        }
        Pipe.Write("\r\n"u8);
    }

    protected override void WriteRow(IResultRow row)
    {
        for (var i = 0; i < Columns.Count; i++)
        {
            if (i > 0) Pipe.Write(","u8);
            if (row.IsNull(i)) continue;
            switch (Columns[i].Type)
            {
                case ColumnType.Integer: WriteFormattable(row.GetInt64(i), default); break;
                case ColumnType.Float: WriteFormattable(row.GetDouble(i), "R"); break;
                case ColumnType.Numeric: WriteFormattable(row.GetDecimal(i), default); break;
                case ColumnType.Boolean: Pipe.Write(row.GetBoolean(i) ? "true"u8 : "false"u8); break;
                case ColumnType.String: WriteText(row.GetString(i), neutralize: true); break;
                case ColumnType.Date: WriteFormattable(row.GetDate(i), "yyyy-MM-dd"); break;
                case ColumnType.Timestamp: WriteFormattable(row.GetTimestamp(i).UtcDateTime, ResponseRowWriter.TimestampFormat); break;
            }
        }
        Pipe.Write("\r\n"u8);
    }

    protected override void WriteEnd() { }

    private void WriteFormattable<T>(T value, ReadOnlySpan<char> format) where T : IUtf8SpanFormattable
    {
        var span = Pipe.GetSpan(64);
        if (!value.TryFormat(span, out var written, format, CultureInfo.InvariantCulture))
            throw new InvalidOperationException("A value did not fit its buffer.");
        Pipe.Advance(written);
    }

    private void WriteText(string text, bool neutralize)
    {
        var formula = neutralize && text.Length > 0 && FormulaStart.Contains(text[0]);
        var quote = text.AsSpan().ContainsAny(NeedsQuotes);
        if (quote) Pipe.Write("\""u8);
        if (formula) Pipe.Write("'"u8);
        if (!quote) WriteUtf8(text);
        else
        {
            var rest = text.AsSpan();
            int q;
            while ((q = rest.IndexOf('"')) >= 0)
            {
                WriteUtf8(rest[..(q + 1)]);
                Pipe.Write("\""u8);
                rest = rest[(q + 1)..];
            }
            WriteUtf8(rest);
            Pipe.Write("\""u8);
        }
    }

    private void WriteUtf8(ReadOnlySpan<char> text)
    {
        var span = Pipe.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        Pipe.Advance(Encoding.UTF8.GetBytes(text, span));
    }
}
