using System.Buffers;
using System.Text;
using Tarmac.Core.Datasets;
using Tarmac.Core.Validation;

namespace Tarmac.Ingest;

/// <summary>
/// Inspects a CSV request body on its way to the bucket: the checks every body gets (<see cref="InspectingStream"/>), then
/// the header line against the schema as soon as it has arrived, so a wrong file is refused while it streams, with a
/// bounded buffer whatever the file's size, and at the end that some data row followed it.
/// </summary>
public sealed class InspectingUploadStream(Stream inner, DatasetSchema dataset, long maxBytes, bool compressed = false)
    : InspectingStream(inner, maxBytes, compressed, CsvTexts)
{
    private const int MaxHeaderBytes = 64 * 1024;

    private static readonly Texts CsvTexts = new(
        ReadHint: "Send the whole file; for a form, end it with its closing boundary.",
        TooLarge: max => $"The upload exceeds the limit of {max} bytes. {UploadLimits.LargeFileHint}",
        BinaryTitle: "Not a text file",
        BinaryDetail: "The body contains NUL bytes: it looks binary. Send the CSV as UTF-8 text.",
        NotUtf8: "The body is not valid UTF-8 text. Save the CSV as UTF-8 (plain ASCII is fine) and send it again.",
        EndsMidCharacter: "The body ends in the middle of a UTF-8 character. Save the CSV as UTF-8 and send it again.",
        Empty: "The body is empty. Send a CSV file: a header line, then one line per row.");

    private byte[]? _header = ArrayPool<byte>.Shared.Rent(MaxHeaderBytes);
    private int _headerLength;
    private bool _headerDone;
    private bool _hasData;

    protected override void InspectText(ReadOnlySpan<byte> chunk)
    {
        if (!_headerDone) CollectHeader(chunk);
        else if (!_hasData) _hasData = chunk.IndexOfAnyExcept(" \t\r\n"u8) >= 0;
    }

    protected override void FinishText()
    {
        if (!_headerDone) CheckHeader();
        if (!_hasData)
            throw new UploadRejectedException(UploadRefusal.Invalid, "No rows", "The file has a header line but no data rows.");
    }

    private void CollectHeader(ReadOnlySpan<byte> chunk)
    {
        var newline = chunk.IndexOf((byte)'\n');
        var take = newline >= 0 ? newline : chunk.Length;
        if (_headerLength + take > MaxHeaderBytes)
            throw new UploadRejectedException(UploadRefusal.Invalid, "No CSV header",
                $"The first line is longer than {MaxHeaderBytes} bytes: this does not look like a CSV file with a header line.");
        chunk[..take].CopyTo(_header.AsSpan(_headerLength));
        _headerLength += take;
        if (newline < 0) return;
        CheckHeader();
        _hasData = chunk[(newline + 1)..].IndexOfAnyExcept(" \t\r\n"u8) >= 0;
    }

    private void CheckHeader()
    {
        _headerDone = true;
        var text = Encoding.UTF8.GetString(_header!, 0, _headerLength);
        ArrayPool<byte>.Shared.Return(_header!);
        _header = null;
        if (CsvHeader.TryCreate(dataset, CsvHeader.SplitLine(text, dataset.Options.Separator), out var problem) is null)
            throw new UploadRejectedException(UploadRefusal.Invalid, "CSV header does not match the dataset", problem!);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && _header is not null)
        {
            ArrayPool<byte>.Shared.Return(_header);
            _header = null;
        }
        base.Dispose(disposing);
    }
}
