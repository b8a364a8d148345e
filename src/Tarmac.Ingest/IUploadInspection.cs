namespace Tarmac.Ingest;

/// <summary>An upload's bytes on their way to the bucket, checked by its format's rules as they stream.</summary>
public interface IUploadInspection : IDisposable
{
    /// <summary>The stream to store: the body, read through the checks (a check that fails throws <see cref="UploadRejectedException"/>).</summary>
    Stream Body { get; }

    /// <summary>Lower-case hex SHA-256 of everything read; valid once <see cref="Body"/> reached its end.</summary>
    string Sha256 { get; }
}
