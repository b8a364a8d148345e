using System.Net.Http.Headers;
using Tarmac.ServiceDefaults.Access;
using Tarmac.Testing;

namespace Tarmac.Tests.Access;

/// <summary>A local host with auth on, and tokens minted with its own signing key (as the token command mints them).</summary>
public static class Tokens
{
    /// <summary>Starts a host with <c>TARMAC_AUTH=on</c> and any further settings.</summary>
    public static TarmacHost AuthHost(IDictionary<string, string?>? extra = null, string? dataDir = null)
    {
        var settings = new Dictionary<string, string?> { ["TARMAC_AUTH"] = "on" };
        foreach (var (k, v) in extra ?? new Dictionary<string, string?>()) settings[k] = v;
        return new TarmacHost(dataDir: dataDir, settings: settings);
    }

    /// <summary>A token signed by the host's key.</summary>
    public static string Mint(TarmacHost host, string name, string[] scopes, string[]? datasets = null,
        Dictionary<string, IReadOnlyList<string>>? filters = null, double? rps = null, TimeSpan? ttl = null, DateTimeOffset? now = null, AccessOptions? options = null) =>
        TokenIssuer.Mint(new SigningKeyStore(Path.Combine(host.DataDir, "access")), options ?? new AccessOptions(),
            new TokenGrant(name, scopes, datasets ?? [], filters ?? [], rps, ttl ?? TimeSpan.FromHours(1)), now ?? DateTimeOffset.UtcNow);

    /// <summary>A client of the host that sends a token.</summary>
    public static HttpClient Client(TarmacHost host, string? token)
    {
        var client = host.CreateClient();
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Admin and upload rights on everything, with a rate no test reaches.</summary>
    public static string Admin(TarmacHost host) => Mint(host, "operator", [Scopes.Admin], rps: 10_000);
}
