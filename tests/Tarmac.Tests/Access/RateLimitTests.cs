using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.ServiceDefaults.Access;
using Tarmac.Testing;

namespace Tarmac.Tests.Access;

/// <summary>Each consumer has its own rate: one over its limit gets 429s while another keeps getting answers.</summary>
public sealed class RateLimitTests
{
    [Fact]
    public async Task A_limited_consumer_gets_429_with_retry_after_and_ratelimit_headers_while_another_gets_200s()
    {
        using var host = Tokens.AuthHost();
        // One request per 1000 s: the second is over the limit however fast or slow the machine is.
        using var slow = Tokens.Client(host, Tokens.Mint(host, "slow", [Scopes.Read], rps: 0.001));
        using var other = Tokens.Client(host, Tokens.Mint(host, "other", [Scopes.Read]));

        Assert.Equal(HttpStatusCode.OK, (await slow.GetAsync("/getdata")).StatusCode);
        for (var i = 0; i < 3; i++)
        {
            var refused = await slow.GetAsync("/getdata");
            Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            var retryAfter = refused.Headers.RetryAfter!.Delta!.Value.TotalSeconds;
            Assert.InRange(retryAfter, 1, 1000);
            Assert.Equal("\"requests\";q=1;w=1000", refused.Headers.GetValues("RateLimit-Policy").Single());
            Assert.Equal($"\"requests\";r=0;t={retryAfter}", refused.Headers.GetValues("RateLimit").Single());
            Assert.Equal(HttpStatusCode.OK, (await other.GetAsync("/getdata")).StatusCode);
        }
    }

    [Fact]
    public async Task Uploads_have_their_own_limit_and_a_daily_quota()
    {
        using var host = Tokens.AuthHost(new Dictionary<string, string?> { ["TARMAC_UPLOAD_DAILY_QUOTA"] = "2", ["TARMAC_UPLOAD_RATE_LIMIT_RPS"] = "1000" });
        using var producer = Tokens.Client(host, Tokens.Mint(host, "producer", [Scopes.Upload, Scopes.Read], rps: 0.001));
        Task<HttpResponseMessage> Post() => producer.PostAsync("/upload", new StringContent(SampleData.SeedCsv, Encoding.UTF8, "text/csv"));

        Assert.Equal(HttpStatusCode.OK, (await Post()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Post()).StatusCode); // the token's 0.001 rps is for reads; uploads have their own bucket
        var third = await Post();
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("uploads-daily", (await third.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("policy").GetString());
        Assert.Equal(HttpStatusCode.OK, (await producer.GetAsync("/getdata")).StatusCode); // reads are a separate bucket
    }

    [Fact]
    public async Task With_auth_off_no_limit_applies()
    {
        using var host = new TarmacHost();
        for (var i = 0; i < 5; i++) Assert.Equal(HttpStatusCode.OK, (await host.Http.GetAsync("/getdata")).StatusCode);
        Assert.False((await host.Http.GetAsync("/getdata")).Headers.Contains("RateLimit"));
    }
}
