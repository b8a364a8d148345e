using System.Runtime.InteropServices;

namespace Tarmac.Embedded;

/// <summary>Linux user extended attributes (<c>setxattr</c>/<c>getxattr</c>); every call reports failure elsewhere.</summary>
internal static partial class ExtendedAttributes
{
    private const int MaxValue = 64 * 1024;

    /// <summary>Sets an attribute; false where the platform or file system has none.</summary>
    public static bool TrySet(string path, string name, byte[] value)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try { return SetXattr(path, name, value, (nuint)value.Length, 0) == 0; }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return false; }
    }

    /// <summary>Reads an attribute, or null when it is absent or unsupported.</summary>
    public static byte[]? TryGet(string path, string name)
    {
        if (!OperatingSystem.IsLinux()) return null;
        try
        {
            var buffer = new byte[MaxValue];
            var n = GetXattr(path, name, buffer, (nuint)buffer.Length);
            return n < 0 ? null : buffer.AsSpan(0, (int)n).ToArray();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException) { return null; }
    }

    [LibraryImport("libc", EntryPoint = "setxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial int SetXattr(string path, string name, byte[] value, nuint size, int flags);

    [LibraryImport("libc", EntryPoint = "getxattr", StringMarshalling = StringMarshalling.Utf8, SetLastError = true)]
    private static partial nint GetXattr(string path, string name, byte[] value, nuint size);
}
