namespace Tarmac.Ingest;

/// <summary>Recognises "no space left" among I/O failures, on the platforms .NET maps them for.</summary>
public static class DiskFull
{
    private const int Enospc = 28;        // Linux and macOS errno; .NET on Unix puts the raw errno in HResult
    private const int Edquot = 122;       // Linux: disk quota exceeded
    private const int ErrorDiskFull = 112;        // Windows ERROR_DISK_FULL, as HRESULT 0x80070070
    private const int ErrorHandleDiskFull = 39;   // Windows ERROR_HANDLE_DISK_FULL

    /// <summary>Whether <paramref name="e"/> says the disk (or the quota) is full.</summary>
    public static bool Is(IOException e) =>
        OperatingSystem.IsWindows()
            ? (e.HResult & 0xFFFF) is ErrorDiskFull or ErrorHandleDiskFull
            : e.HResult is Enospc or Edquot;
}
