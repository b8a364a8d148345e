using System.Runtime.InteropServices;

namespace Tarmac.Embedded;

/// <summary>
/// fsync of a folder, so that the entries created in it (a renamed object, a new sub-folder) survive a power loss.
/// POSIX only: on Windows, NTFS journals directory entries and a folder cannot be opened for flushing this way.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY: enough to open a folder for fsync, and the same value everywhere

    /// <summary>Counts every folder synced, for tests that prove the sync happens (a power loss cannot be simulated).</summary>
    internal static event Action<string>? Synced;

    /// <summary>Flushes <paramref name="path"/>'s entries to disk.</summary>
    /// <exception cref="IOException">The folder could not be opened or flushed.</exception>
    public static void Sync(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        var fd = Open(path, ReadOnly);
        if (fd < 0) throw new IOException($"Could not open folder '{path}' to sync it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (FSync(fd) != 0) throw new IOException($"Could not sync folder '{path}' (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = Close(fd);
        }
        Synced?.Invoke(path);
    }

    [LibraryImport("libc", EntryPoint = "open", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FSync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
