using System.Buffers.Text;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.ServiceDefaults.Access;

namespace Tarmac.GoogleCloud.Tests;

/// <summary>
/// The contract with API Gateway: the gateway verifies the JWT and forwards its payload, base64url-encoded, in
/// X-Apigateway-Api-Userinfo (https://cloud.google.com/api-gateway/docs/authenticating-users-jwt). The services then
/// enforce scopes, datasets, filters and rate limits from those claims with the same code as the local host, and accept
/// a Google-signed ID token only from a listed principal: any service account in any project can mint one for the
/// gateway's audience.
/// </summary>
public sealed class AccessGatewayTests : IAsyncLifetime
{
    private const string Pipeline = "tarmac-master-deployer@tarmac-test.iam.gserviceaccount.com";
    private static readonly string[] Airports = ["airports"];
    private static readonly string[] Flights = ["flights"];
    private static readonly string[] United = ["UA"];
    private readonly FakeGoogleCloud _fake = new();
    private GcpFunctionHost _query = null!;

    public async Task InitializeAsync()
    {
        _fake.Rows("upload_events").Add(JsonNode.Parse("""{"upload_id":"u","dataset":"flights","status":"loaded","rows_loaded":1,"at":"2026-11-28 09:00:00.000000"}""")!.AsObject());
        _fake.QueryHandler = (sql, _) => FakeGoogleCloud.Result(sql[7..sql.IndexOf(" FROM ", StringComparison.Ordinal)].Split(", ").Select(n => n.Trim('`')).ToArray());
        var settings = GcpFunctionHost.Settings(_fake);
        settings["TARMAC_AUTH"] = "on";
        settings["TARMAC_ALLOWED_PRINCIPALS"] = Pipeline;
        _query = await GcpFunctionHost.StartAsync(CloudFunction.Query, settings);
    }

    public async Task DisposeAsync()
    {
        await _query.DisposeAsync();
        await _fake.DisposeAsync();
    }

    private static string Userinfo(object claims) =>
        Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));

    private static long In(TimeSpan t) => DateTimeOffset.UtcNow.Add(t).ToUnixTimeSeconds();

    /// <summary>The payload of a Google-signed service-account ID token, as `gcloud auth print-identity-token` mints it.</summary>
    private static object GoogleIdToken(string email) => new
    {
        aud = "tarmac-dev-api", azp = "104593217584", email, email_verified = true,
        exp = In(TimeSpan.FromHours(1)), iat = In(TimeSpan.Zero), iss = "https://accounts.google.com", sub = "104593217584",
    };

    private static Dictionary<string, object> TarmacToken(string sub, string scope, object? extra = null, string aud = "tarmac-api", TimeSpan? ttl = null)
    {
        var claims = new Dictionary<string, object> { ["iss"] = "tarmac", ["aud"] = aud, ["sub"] = sub, ["scope"] = scope, ["iat"] = In(TimeSpan.Zero), ["exp"] = In(ttl ?? TimeSpan.FromHours(1)) };
        if (extra is not null) foreach (var p in JsonSerializer.SerializeToElement(extra).EnumerateObject()) claims[p.Name] = p.Value;
        return claims;
    }

    private async Task<HttpResponseMessage> GetAs(object? claims, string path = "/getdata")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (claims is not null) request.Headers.Add(GatewayClaims.HeaderName, Userinfo(claims));
        return await _query.Http.SendAsync(request);
    }

    [Fact]
    public async Task A_Google_signed_token_from_an_unlisted_service_account_is_refused()
    {
        var response = await GetAs(GoogleIdToken("intruder@someone-elses-project.iam.gserviceaccount.com"));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains("is not an allowed principal", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await GetAs(GoogleIdToken(Pipeline))).StatusCode);
    }

    [Fact]
    public async Task Missing_expired_unknown_issuer_and_wrong_audience_claims_are_refused()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAs(null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAs(TarmacToken("acme", "read", ttl: TimeSpan.FromSeconds(-1)))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAs(TarmacToken("acme", "read", aud: "another-api"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAs(new { iss = "https://securetoken.google.com/tarmac-test", sub = "x", exp = In(TimeSpan.FromHours(1)) })).StatusCode);
        var unverified = await GetAs(new { iss = "https://accounts.google.com", email = Pipeline, email_verified = false, exp = In(TimeSpan.FromHours(1)) });
        Assert.Equal(HttpStatusCode.Unauthorized, unverified.StatusCode);
        // Health stays open for Cloud Run's probes.
        Assert.Equal(HttpStatusCode.OK, (await GetAs(null, "/healthz")).StatusCode);
    }

    [Fact]
    public async Task Scopes_and_datasets_come_from_the_forwarded_claims()
    {
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAs(TarmacToken("acme", "upload"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAs(TarmacToken("acme", "read", new { datasets = Airports }))).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAs(TarmacToken("acme", "read", new { datasets = Flights }))).StatusCode);
    }

    [Fact]
    public async Task A_filter_claim_is_ANDed_into_the_BigQuery_query()
    {
        var response = await GetAs(TarmacToken("united", "read", new { filters = new { carrier = United } }), "/getdata?origin=EWR");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = _fake.RequestsTo("POST", "/queries").Select(r => r.Json!).Last(j => j["query"]!.GetValue<string>().Contains("flights", StringComparison.Ordinal));
        var sql = sent["query"]!.GetValue<string>();
        // The request's own filter, then the token's, ANDed (parameter numbers depend on the snapshot bound before them).
        var match = System.Text.RegularExpressions.Regex.Match(sql, @"`origin` = @(p\d+) AND `carrier` IN \(@(p\d+)\)");
        Assert.True(match.Success, sql);
        string Value(string name) => sent["queryParameters"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == name)!["parameterValue"]!["value"]!.GetValue<string>();
        Assert.Equal(("EWR", "UA"), (Value(match.Groups[1].Value), Value(match.Groups[2].Value)));
    }

    [Fact]
    public async Task On_Cloud_Run_auth_is_on_by_default_and_off_is_only_for_loopback()
    {
        var defaults = GcpFunctionHost.Settings(_fake);
        defaults.Remove("TARMAC_AUTH");
        await using (var app = GcpFunctionHost.Build(CloudFunction.Query, defaults).Build())
            Assert.True(app.Services.GetRequiredService<AccessSettings>().Enabled);

        var off = GcpFunctionHost.Settings(_fake);
        var builder = GcpFunctionHost.Build(CloudFunction.Query, off);
        builder.WebHost.UseUrls("http://0.0.0.0:0"); // what PORT asks for on Cloud Run
        await using var wide = builder.Build();
        var refused = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => wide.StartAsync());
        Assert.StartsWith("Refusing to start: TARMAC_AUTH is off but the host would listen on http://0.0.0.0:0", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rate_limits_are_per_forwarded_sub()
    {
        var slow = TarmacToken("slow", "read", new { rps = 0.001 });
        Assert.Equal(HttpStatusCode.OK, (await GetAs(slow)).StatusCode);
        var refused = await GetAs(slow);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.True(refused.Headers.Contains("Retry-After"));
        Assert.Equal(HttpStatusCode.OK, (await GetAs(TarmacToken("fast", "read"))).StatusCode);
    }
}
