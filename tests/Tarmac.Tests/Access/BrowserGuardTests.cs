using System.Net;
using System.Text;
using Tarmac.Testing;

namespace Tarmac.Tests.Access;

/// <summary>Web pages cannot write to the local host, nor read from it through DNS rebinding.</summary>
public sealed class BrowserGuardTests : IDisposable
{
    private readonly TarmacHost _host = new(settings: new Dictionary<string, string?>
    {
        ["TARMAC_CORS_ORIGINS"] = "https://dashboard.example",
        ["TARMAC_ALLOWED_HOSTS"] = "tarmac.lan",
    });

    public void Dispose() => _host.Dispose();

    private Task<HttpResponseMessage> PostFrom(string? origin)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = new StringContent(SampleData.SeedCsv, Encoding.UTF8, "text/plain") };
        if (origin is not null) request.Headers.Add("Origin", origin);
        return _host.Http.SendAsync(request);
    }

    [Fact]
    public async Task A_cross_site_post_is_refused_and_an_allowed_origin_or_a_script_is_not()
    {
        var evil = await PostFrom("https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, evil.StatusCode);
        Assert.Equal("application/problem+json", evil.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.Forbidden, (await PostFrom("null")).StatusCode);

        // A listed origin, and a script (no Origin at all), get through to ingest.
        var allowed = await PostFrom("https://dashboard.example");
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
        Assert.Equal("https://dashboard.example", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Equal(HttpStatusCode.OK, (await PostFrom(null)).StatusCode);
        // Reads stay open to scripts and pages alike (CORS keeps a page from reading the answer).
        using var get = new HttpRequestMessage(HttpMethod.Get, "/getdata");
        get.Headers.Add("Origin", "https://evil.example");
        var read = await _host.Http.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.False(read.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Fact]
    public async Task A_listed_origin_gets_its_preflight_answered_even_with_auth_on_and_others_do_not()
    {
        using var host = Tokens.AuthHost(new Dictionary<string, string?> { ["TARMAC_CORS_ORIGINS"] = "https://dashboard.example" });
        async Task<HttpResponseMessage> Preflight(string origin)
        {
            using var request = new HttpRequestMessage(HttpMethod.Options, "/getdata");
            request.Headers.Add("Origin", origin);
            request.Headers.Add("Access-Control-Request-Method", "GET");
            request.Headers.Add("Access-Control-Request-Headers", "authorization");
            return await host.Http.SendAsync(request);
        }
        var listed = await Preflight("https://dashboard.example");
        Assert.Equal(HttpStatusCode.NoContent, listed.StatusCode);
        Assert.Equal("https://dashboard.example", listed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("Authorization", listed.Headers.GetValues("Access-Control-Allow-Headers").Single(), StringComparison.Ordinal);
        var other = await Preflight("https://evil.example");
        Assert.Equal(HttpStatusCode.Unauthorized, other.StatusCode);
        Assert.False(other.Headers.Contains("Access-Control-Allow-Origin"));
    }

    [Theory]
    [InlineData("attacker.example", HttpStatusCode.MisdirectedRequest)]
    [InlineData("127.0.0.2.nip.io", HttpStatusCode.MisdirectedRequest)]
    [InlineData("tarmac.lan", HttpStatusCode.OK)]
    [InlineData("localhost", HttpStatusCode.OK)]
    [InlineData("[::1]", HttpStatusCode.OK)]
    public async Task Only_loopback_and_allowed_hosts_are_served(string host, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/getdata");
        request.Headers.Host = host;
        Assert.Equal(expected, (await _host.Http.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task Answers_carry_the_security_headers()
    {
        var response = await _host.Http.GetAsync("/getdata");
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", response.Headers.GetValues("X-Frame-Options").Single());
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        Assert.Equal("default-src 'none'; frame-ancestors 'none'", response.Headers.GetValues("Content-Security-Policy").Single());
    }
}
