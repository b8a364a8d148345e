using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;

namespace Tarmac.Ingest;

/// <summary>
/// Inspects a JSON or NDJSON request body on its way to the bucket: the checks every body gets (<see cref="InspectingStream"/>;
/// RFC 8259 §8.1 requires UTF-8), then the body's framing (<see cref="JsonBodyFraming"/>, <see cref="NdjsonBodyFraming"/>),
/// with bounded memory whatever its size.
/// </summary>
public sealed class InspectingJsonStream : InspectingStream
{
    private static readonly Texts JsonTexts = new(
        ReadHint: "Send the whole body.",
        TooLarge: max => $"The body exceeds the limit of {max} bytes. Send the records in several smaller requests.",
        BinaryTitle: "Not a text body",
        BinaryDetail: "The body contains NUL bytes: it looks binary. Send JSON as UTF-8 text.",
        NotUtf8: NotUtf8Text,
        EndsMidCharacter: NotUtf8Text,
        Empty: "The body is empty. Send one JSON object, an array of objects, or one object per line (NDJSON).");

    private const string NotUtf8Text = "The body is not valid UTF-8 text (RFC 8259 requires JSON to be UTF-8). Encode it as UTF-8 and send it again.";

    private readonly IBodyFraming _framing;

    /// <summary>Inspects <paramref name="inner"/> as <paramref name="format"/> (JSON or NDJSON), refusing more than <paramref name="maxBytes"/>.</summary>
    public InspectingJsonStream(Stream inner, UploadFormat format, long maxBytes, bool compressed = false)
        : base(inner, maxBytes, compressed, JsonTexts)
    {
        _framing = format switch
        {
            UploadFormat.Json => new JsonBodyFraming(JsonRecordReader.DefaultMaxRecordBytes),
            UploadFormat.Ndjson => new NdjsonBodyFraming(JsonRecordReader.DefaultMaxRecordBytes),
            _ => throw new ArgumentException("CSV is inspected by InspectingUploadStream.", nameof(format)),
        };
    }

    protected override void InspectText(ReadOnlySpan<byte> chunk) => _framing.Feed(chunk);

    protected override void FinishText() => _framing.Finish();
}
