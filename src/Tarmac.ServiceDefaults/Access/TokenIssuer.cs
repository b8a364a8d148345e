using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Tarmac.ServiceDefaults.Access;

/// <summary>Mints Tarmac tokens: RS256 JWTs signed with the active key of a <see cref="SigningKeyStore"/>.</summary>
public static class TokenIssuer
{
    /// <summary>Longest lifetime a token may be minted with.</summary>
    public static readonly TimeSpan MaxTtl = TimeSpan.FromDays(366);

    /// <summary>A signed token for a consumer.</summary>
    public static string Mint(SigningKeyStore keys, AccessOptions options, TokenGrant grant, DateTimeOffset now)
    {
        var claims = new Dictionary<string, object>
        {
            ["sub"] = grant.Name,
            ["scope"] = string.Join(' ', grant.Scopes),
            ["jti"] = Guid.NewGuid().ToString("N"),
        };
        if (grant.Datasets.Count > 0) claims["datasets"] = grant.Datasets.ToArray();
        if (grant.Filters.Count > 0)
            claims["filters"] = JsonSerializer.SerializeToElement(grant.Filters.ToDictionary(f => f.Key, f => f.Value.ToArray()));
        if (grant.Rps is { } rps) claims["rps"] = rps;
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = (now + grant.Ttl).UtcDateTime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(keys.Active, SecurityAlgorithms.RsaSha256),
        });
    }
}

/// <summary>What a minted token grants.</summary>
/// <param name="Name">The consumer (<c>sub</c>).</param>
/// <param name="Scopes">Scopes (<see cref="Access.Scopes"/>).</param>
/// <param name="Datasets">Datasets; empty for all.</param>
/// <param name="Filters">Row filters: column → allowed values.</param>
/// <param name="Rps">Rate in requests per second; null for the server default.</param>
/// <param name="Ttl">Lifetime.</param>
public sealed record TokenGrant(
    string Name,
    IReadOnlyList<string> Scopes,
    IReadOnlyList<string> Datasets,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Filters,
    double? Rps,
    TimeSpan Ttl);
