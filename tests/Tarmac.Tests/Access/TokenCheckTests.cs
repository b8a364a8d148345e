using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Tarmac.ServiceDefaults.Access;
using Tarmac.Testing;

namespace Tarmac.Tests.Access;

/// <summary>With TARMAC_AUTH=on, every route but health and the JWKS needs a valid Tarmac token; each bad one is a 401.</summary>
public sealed class TokenCheckTests : IDisposable
{
    private readonly TarmacHost _host = Tokens.AuthHost();

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task Health_readiness_and_the_jwks_need_no_token_and_the_jwks_names_the_signing_key()
    {
        using var anonymous = Tokens.Client(_host, null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/readyz")).StatusCode);
        var jwks = await anonymous.GetFromJsonAsync<JsonElement>(AccessExtensions.JwksPath);
        var key = Assert.Single(jwks.GetProperty("keys").EnumerateArray());
        var token = new JsonWebToken(Tokens.Mint(_host, "acme", [Scopes.Read]));
        Assert.Equal((token.Kid, "RSA", "RS256"), (key.GetProperty("kid").GetString(), key.GetProperty("kty").GetString(), key.GetProperty("alg").GetString()));
        Assert.False(key.TryGetProperty("d", out _)); // the public half only
    }

    [Fact]
    public async Task A_valid_token_reads_and_the_signing_key_file_is_private()
    {
        using var client = Tokens.Client(_host, Tokens.Mint(_host, "acme", [Scopes.Read]));
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/getdata")).StatusCode);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(_host.DataDir, "access", SigningKeyStore.ActiveFileName)));
    }

    public static TheoryData<string> BadTokenCases => ["none", "query", "signature", "issuer", "audience", "expired", "alg-none", "unknown-kid", "garbage"];

    [Theory]
    [MemberData(nameof(BadTokenCases))]
    public async Task Every_bad_token_is_a_401_invalid_token_problem(string kind)
    {
        var good = Tokens.Mint(_host, "acme", [Scopes.Read]);
        string? token = kind switch
        {
            "none" or "query" => null,
            "signature" => Tamper(good),
            "issuer" => Tokens.Mint(_host, "acme", [Scopes.Read], options: new AccessOptions { Issuer = "someone-else" }),
            "audience" => Tokens.Mint(_host, "acme", [Scopes.Read], options: new AccessOptions { Audience = "another-api" }),
            // Expired one second ago: no clock skew is allowed for the host's own tokens.
            "expired" => Tokens.Mint(_host, "acme", [Scopes.Read], ttl: TimeSpan.FromHours(1), now: DateTimeOffset.UtcNow.AddHours(-1).AddSeconds(-1)),
            "alg-none" => Unsigned(good),
            "unknown-kid" => ForeignKey(),
            _ => "not-a-jwt",
        };
        using var client = Tokens.Client(_host, token);
        var response = await client.GetAsync(kind == "query" ? $"/getdata?access_token={good}" : "/getdata");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.StartsWith("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.DoesNotContain(good, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Openapi_and_unknown_routes_need_a_token_too()
    {
        using var anonymous = Tokens.Client(_host, null);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/openapi.json")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/nothing-here")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/upload", new StringContent("a,b\n", Encoding.UTF8, "text/csv"))).StatusCode);
    }

    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(parts[1])).Replace("\"read\"", "\"admin\"", StringComparison.Ordinal);
        return $"{parts[0]}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payload))}.{parts[2]}";
    }

    private static string Unsigned(string token)
    {
        var kid = new JsonWebToken(token).Kid;
        var header = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($$"""{"alg":"none","typ":"JWT","kid":"{{kid}}"}"""));
        return $"{header}.{token.Split('.')[1]}.";
    }

    private static string ForeignKey()
    {
        using var rsa = RSA.Create(2048);
        var key = new RsaSecurityKey(rsa.ExportParameters(true)) { KeyId = "not-a-key-of-this-host" };
        var options = new AccessOptions();
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Issuer,
            Audience = options.Audience,
            Expires = DateTime.UtcNow.AddHours(1),
            Claims = new Dictionary<string, object> { ["sub"] = "acme", ["scope"] = "read" },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });
    }
}
