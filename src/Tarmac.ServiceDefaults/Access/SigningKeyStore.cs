using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.Tokens;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>
/// The RSA keys the local host signs its tokens with, as PEM files in <c>{data}/access/</c> (mode 0600):
/// <c>signing-key.pem</c> signs; any <c>retired-*.pem</c> still verifies (and is published) so tokens signed before a
/// rotation keep working until they expire. Rotate by renaming <c>signing-key.pem</c> to <c>retired-&lt;date&gt;.pem</c>:
/// the next mint or host start creates a new one, and hosts pick it up at the first token with an unknown key id.
/// Delete a retired key once the longest TTL it signed has passed.
/// </summary>
public sealed class SigningKeyStore
{
    /// <summary>File name of the active key.</summary>
    public const string ActiveFileName = "signing-key.pem";

    private static readonly TimeSpan ReloadInterval = TimeSpan.FromSeconds(2);
    private readonly string _folder;
    private readonly Lock _lock = new();
    private IReadOnlyDictionary<string, RsaSecurityKey> _keys = new Dictionary<string, RsaSecurityKey>();
    private RsaSecurityKey? _active;
    private DateTime _loadedAt;

    /// <summary>A store over a folder; nothing is read until first use.</summary>
    public SigningKeyStore(string folder) => _folder = folder;

    /// <summary>The key new tokens are signed with, created on first use.</summary>
    public RsaSecurityKey Active
    {
        get
        {
            lock (_lock)
            {
                if (_active is null) Load();
                return _active!;
            }
        }
    }

    /// <summary>The key with this id, reloading the folder (at most every 2 s) when it is unknown.</summary>
    public RsaSecurityKey? Find(string? kid)
    {
        if (kid is null) return null;
        lock (_lock)
        {
            if (_active is null || (!_keys.ContainsKey(kid) && DateTime.UtcNow - _loadedAt > ReloadInterval)) Load();
            return _keys.GetValueOrDefault(kid);
        }
    }

    /// <summary>The public keys as a JWKS document (RFC 7517), the format API Gateway's <c>x-google-jwks_uri</c> reads.</summary>
    public string JwksJson()
    {
        _ = Active;
        IReadOnlyCollection<RsaSecurityKey> keys;
        lock (_lock) keys = _keys.Values.ToList();
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartArray("keys");
            foreach (var key in keys)
            {
                var p = key.Rsa.ExportParameters(false);
                w.WriteStartObject();
                w.WriteString("kty", "RSA");
                w.WriteString("use", "sig");
                w.WriteString("alg", SecurityAlgorithms.RsaSha256);
                w.WriteString("kid", key.KeyId);
                w.WriteString("n", Base64Url.EncodeToString(p.Modulus));
                w.WriteString("e", Base64Url.EncodeToString(p.Exponent));
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private void Load()
    {
        Directory.CreateDirectory(_folder);
        var activePath = Path.Combine(_folder, ActiveFileName);
        if (!File.Exists(activePath)) Create(activePath);
        var keys = new Dictionary<string, RsaSecurityKey>(StringComparer.Ordinal);
        _active = Read(activePath);
        keys[_active.KeyId] = _active;
        foreach (var retired in Directory.EnumerateFiles(_folder, "retired-*.pem"))
        {
            var key = Read(retired);
            keys[key.KeyId] = key;
        }
        _keys = keys;
        _loadedAt = DateTime.UtcNow;
    }

    private static RsaSecurityKey Read(string path)
    {
        var rsa = RSA.Create();
        rsa.ImportFromPem(File.ReadAllText(path));
        return new RsaSecurityKey(rsa) { KeyId = Thumbprint(rsa) };
    }

    // Written aside and moved into place without overwriting, so a host and the token command racing to create the key
    // end up with the same one; the file is created 0600 so no other local user can read it.
    private static void Create(string path)
    {
        using var rsa = RSA.Create(2048);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new StreamWriter(new FileStream(temp, options))) file.Write(rsa.ExportPkcs8PrivateKeyPem());
        try
        {
            File.Move(temp, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp);
        }
    }

    /// <summary>The RFC 7638 thumbprint of the public key: a key id that changes exactly when the key does.</summary>
    private static string Thumbprint(RSA rsa)
    {
        var p = rsa.ExportParameters(false);
        var canonical = $"{{\"e\":\"{Base64Url.EncodeToString(p.Exponent)}\",\"kty\":\"RSA\",\"n\":\"{Base64Url.EncodeToString(p.Modulus)}\"}}";
        return Base64Url.EncodeToString(SHA256.HashData(Encoding.UTF8.GetBytes(canonical)));
    }
}
