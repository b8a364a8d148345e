using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Tarmac.Core.Query;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>Where the cursor key comes from: <c>TARMAC_CURSOR_KEY</c>, else (locally) a key file in the data folder.</summary>
internal static partial class CursorKeys
{
    public const string FileName = "cursor-key";

    public static CursorKey Resolve(AccessSettings settings, ILogger logger)
    {
        if (settings.Options.CursorKey is { Length: > 0 } configured) return new CursorKey(Convert.FromBase64String(configured));
        if (settings.Hosting == TarmacHosting.Local) return new CursorKey(ReadOrCreate(Path.Combine(settings.Options.KeyFolder, FileName)));
        // Every Cloud Run instance must accept the cursors of the others, so a per-instance random key would break page
        // walks; without a configured key the cursors are only as strong as a keyless digest, and the log says so.
        Unkeyed(logger);
        return new CursorKey(SHA256.HashData("tarmac-cursor-key-unset"u8));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "TARMAC_CURSOR_KEY is not set: page cursors are checked against a built-in key and can be forged. Set it from Secret Manager.")]
    private static partial void Unkeyed(ILogger logger);

    // Created aside (0600) and moved into place without overwriting, so concurrent first runs agree on one key.
    private static byte[] ReadOrCreate(string path)
    {
        if (File.Exists(path)) return File.ReadAllBytes(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(temp, options)) file.Write(RandomNumberGenerator.GetBytes(32));
        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
        }
        return File.ReadAllBytes(path);
    }
}
