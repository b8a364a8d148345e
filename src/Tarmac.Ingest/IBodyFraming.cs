namespace Tarmac.Ingest;

/// <summary>A format's check of a body's framing while it streams; throws <see cref="UploadRejectedException"/> to refuse it.</summary>
internal interface IBodyFraming
{
    /// <summary>Checks the next bytes of the body.</summary>
    void Feed(ReadOnlySpan<byte> chunk);

    /// <summary>The body has ended: checks what only its end can tell.</summary>
    void Finish();
}
