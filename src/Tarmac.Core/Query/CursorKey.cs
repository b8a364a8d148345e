using System.Security.Cryptography;

namespace Tarmac.Core.Query;

/// <summary>The server key page cursors are signed with (HMAC-SHA256), so a client can carry a cursor but not make one.</summary>
public sealed class CursorKey
{
    private readonly byte[] _key;

    /// <summary>A key of at least 32 bytes.</summary>
    public CursorKey(byte[] key)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (key.Length < 32) throw new ArgumentException("A cursor key needs at least 32 bytes.", nameof(key));
        _key = key.ToArray();
    }

    /// <summary>A fresh random key (tests, single-instance hosts).</summary>
    public static CursorKey Random() => new(RandomNumberGenerator.GetBytes(32));

    /// <summary>The MAC of <paramref name="data"/>, cut to 16 bytes (128 bits is ample against forgery).</summary>
    internal byte[] Sign(ReadOnlySpan<byte> data) => HMACSHA256.HashData(_key, data)[..16];
}
