using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.IdentityModel.JsonWebTokens;
using Tarmac.ServiceDefaults.Access;
using Tarmac.Testing;

namespace Tarmac.Tests.Access;

/// <summary>The token command prints one token, signed with the key of the data folder a running host uses.</summary>
public sealed class TokenCommandTests
{
    private static (int Code, string Out, string Err) Run(string dataDir, params string[] args)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["TARMAC_DATA_DIR"] = dataDir }).Build();
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = TokenCommand.Run(args, configuration, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task A_token_minted_beside_a_running_host_works_there_with_the_grant_it_names()
    {
        using var host = Tokens.AuthHost();
        var (code, output, _) = Run(host.DataDir, "token", "--name", "acme", "--scope", "read", "--scope", "status", "--dataset", "flights",
            "--filter", "carrier=UA,AA", "--filter", "origin=EWR", "--rps", "20", "--ttl", "15m");
        Assert.Equal(0, code);
        var token = output.TrimEnd('\n');
        Assert.DoesNotContain('\n', token);

        var jwt = new JsonWebToken(token);
        Assert.Equal(("acme", "read status", 20.0), (jwt.Subject, jwt.GetClaim("scope").Value, double.Parse(jwt.GetClaim("rps").Value, System.Globalization.CultureInfo.InvariantCulture)));
        Assert.Equal(TimeSpan.FromMinutes(15), jwt.ValidTo - jwt.IssuedAt);

        using var client = Tokens.Client(host, token);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/getdata")).StatusCode);

        // The jwks verb prints what the host publishes, for an operator to put where API Gateway fetches it.
        var (jwksCode, jwks, _) = Run(host.DataDir, "jwks");
        Assert.Equal((0, (await client.GetStringAsync(AccessExtensions.JwksPath)).Trim()), (jwksCode, jwks.Trim()));
    }

    [Theory]
    [InlineData("--scope", "read")]
    [InlineData("--name", "acme")]
    [InlineData("--name", "acme", "--scope", "write")]
    [InlineData("--name", "acme", "--scope", "read", "--ttl", "10y")]
    [InlineData("--name", "acme", "--scope", "read", "--rps", "-1")]
    [InlineData("--name", "acme", "--scope", "read", "--filter", "carrier")]
    public void Bad_arguments_print_usage_to_stderr_and_nothing_to_stdout(params string[] args)
    {
        var (code, output, error) = Run(TempDirs.Create("tarmac-data"), ["token", .. args]);
        Assert.Equal((2, ""), (code, output));
        Assert.Contains("usage: token", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("15m", 900)]
    [InlineData("1h", 3600)]
    [InlineData("7d", 604800)]
    public void Durations_read_as_documented(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), TokenCommand.ParseDuration(text));
}
