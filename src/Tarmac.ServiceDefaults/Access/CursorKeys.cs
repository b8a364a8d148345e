using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Tarmac.Core.Query;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>
/// Where the cursor key comes from: <c>TARMAC_CURSOR_KEY</c>, else (locally) a key file in the data folder. On Google Cloud
/// with auth on there is no fallback: the host refuses to start (see <see cref="MissingOnGoogleCloud"/>).
/// </summary>
internal static partial class CursorKeys
{
    public const string FileName = "cursor-key";

    /// <summary>Why a Google Cloud host with auth on will not start without a key, and what to do.</summary>
    public const string MissingOnGoogleCloud =
        "Refusing to start: TARMAC_CURSOR_KEY is not set. On Google Cloud every query instance must sign page cursors with " +
        "the same secret key, and a built-in key would let anyone forge a cursor. Set TARMAC_CURSOR_KEY to base64 of at " +
        "least 32 random bytes from Secret Manager (infra/ creates the secret <prefix>-<environment>-cursor-key and passes " +
        "it to query as an environment variable). TARMAC_AUTH=off (emulator runs on loopback only) falls back to a " +
        "built-in key.";

    /// <summary>The key to sign cursors with.</summary>
    /// <exception cref="InvalidOperationException">On Google Cloud with auth on and no <c>TARMAC_CURSOR_KEY</c>.</exception>
    public static CursorKey Resolve(AccessSettings settings, ILogger logger)
    {
        if (settings.Options.CursorKey is { Length: > 0 } configured) return new CursorKey(Convert.FromBase64String(configured));
        if (settings.Hosting == TarmacHosting.Local) return new CursorKey(ReadOrCreate(Path.Combine(settings.Options.KeyFolder, FileName)));
        // Every Cloud Run instance must accept the cursors of the others, so a per-instance random key would break page
        // walks. A built-in key would make cursors forgeable, so with real callers (auth on) there is no fallback.
        if (settings.Enabled) throw new InvalidOperationException(MissingOnGoogleCloud);
        // Auth off: an emulator run bound to loopback, where no token, filter or consumer exists to protect.
        Unkeyed(logger);
        return new CursorKey(SHA256.HashData("tarmac-cursor-key-unset"u8));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "TARMAC_CURSOR_KEY is not set and TARMAC_AUTH is off: page cursors are checked against a built-in key and can be forged. Set it from Secret Manager.")]
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
