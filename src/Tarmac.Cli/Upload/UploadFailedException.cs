namespace Tarmac.Cli.Upload;

/// <summary>An upload that cannot go on (an expired session, retries used up, a file that changed); the message says why.</summary>
public sealed class UploadFailedException(string message, Exception? inner = null) : Exception(message, inner);
