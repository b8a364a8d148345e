using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tarmac.ServiceDefaults.Access;

namespace Tarmac.Tests.Access;

/// <summary>Every request line names the caller's sub; no line ever holds the token.</summary>
public sealed class RequestLogTests
{
    [Fact]
    public async Task Request_lines_carry_the_sub_and_never_the_token()
    {
        var log = new Tarmac.Testing.LogLines();
        using var host = new Tarmac.Testing.TarmacHost(settings: new Dictionary<string, string?> { ["TARMAC_AUTH"] = "on" },
            services: s => s.AddSingleton<ILoggerProvider>(log));
        var token = Tokens.Mint(host, "acme", [Scopes.Read]);
        using var client = Tokens.Client(host, token);

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/getdata?carrier=UA")).StatusCode);
        // A token in the query string is not read as a token (to the query grammar it is an unknown parameter) nor logged.
        Assert.Equal(HttpStatusCode.BadRequest, (await client.GetAsync($"/getdata?access_token={token}")).StatusCode);
        using var forged = Tokens.Client(host, token + "x");
        Assert.Equal(HttpStatusCode.Unauthorized, (await forged.GetAsync("/getdata")).StatusCode);

        var lines = log.Lines;
        Assert.Contains("GET /getdata 200 sub=acme", lines.First(l => l.Contains("200 sub=", StringComparison.Ordinal)), StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith("GET /getdata 401 sub=-", StringComparison.Ordinal));
        var signature = token.Split('.')[2];
        Assert.DoesNotContain(lines, l => l.Contains(signature, StringComparison.Ordinal) || l.Contains(token.Split('.')[1], StringComparison.Ordinal));
    }
}
