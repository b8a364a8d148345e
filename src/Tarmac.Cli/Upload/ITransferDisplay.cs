namespace Tarmac.Cli.Upload;

/// <summary>Shows the progress of file transfers on standard error.</summary>
public interface ITransferDisplay
{
    /// <summary>Runs <paramref name="work"/>, showing the progress it reports through its meter.</summary>
    Task<T> TrackAsync<T>(string label, long totalBytes, Func<TransferMeter, Task<T>> work);
}
