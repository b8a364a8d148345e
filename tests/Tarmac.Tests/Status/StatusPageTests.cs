using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tarmac.ServiceDefaults.Access;
using Tarmac.Testing;
using Tarmac.Tests.Access;

namespace Tarmac.Tests.Status;

/// <summary>The page at <c>/</c>: its own files only, under a strict content security policy; admin scope with auth on; in OpenAPI.</summary>
public sealed class StatusPageTests
{
    private static readonly string[] Assets = ["/", "/status/status.css", "/status/chart.js", "/status/status.js"];

    [Fact]
    public async Task The_page_and_its_files_come_from_the_host_under_a_policy_without_inline_code()
    {
        using var host = new TarmacHost();
        foreach (var (path, type) in Assets.Zip(["text/html", "text/css", "text/javascript", "text/javascript"]))
        {
            var response = await host.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(type, response.Content.Headers.ContentType?.MediaType);
            var policy = response.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Equal("default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'", policy);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        }
        var html = await host.Http.GetStringAsync("/");
        // Nothing from elsewhere, and no inline script or style for the policy to refuse.
        Assert.DoesNotContain("http:", html.Replace("http://www.w3.org", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.DoesNotContain("https:", html, StringComparison.Ordinal);
        Assert.DoesNotContain("style=", html, StringComparison.Ordinal);
        Assert.DoesNotContain("<script>", html, StringComparison.Ordinal);
        Assert.Contains("<script src=\"/status/status.js\" defer></script>", html, StringComparison.Ordinal);
        // The JSON keeps the host's data-only policy.
        var summary = await host.Http.GetAsync("/status/summary");
        Assert.StartsWith("default-src 'none'", summary.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.DoesNotContain("script-src", summary.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Equal("no-store", summary.Headers.CacheControl?.ToString());
    }

    [Fact]
    public async Task With_auth_on_the_page_and_its_data_need_the_admin_scope()
    {
        using var host = Tokens.AuthHost();
        using var anonymous = Tokens.Client(host, null);
        using var reader = Tokens.Client(host, Tokens.Mint(host, "analyst", [Scopes.Read, Scopes.Status, Scopes.Upload]));
        using var admin = Tokens.Client(host, Tokens.Admin(host));
        foreach (var path in Assets.Append("/status/summary"))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(path)).StatusCode);
            var denied = await reader.GetAsync(path);
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
            Assert.Equal("admin", (await denied.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("missing").GetString());
            Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync(path)).StatusCode);
        }
    }

    [Fact]
    public async Task The_summary_is_documented_in_openapi_with_its_schema()
    {
        using var host = new TarmacHost();
        var doc = await host.Http.GetFromJsonAsync<JsonElement>("/openapi.json");
        var paths = doc.GetProperty("paths");
        var get = paths.GetProperty("/status/summary").GetProperty("get");
        Assert.Equal("StatusSummary", get.GetProperty("operationId").GetString());
        Assert.Equal("Status", get.GetProperty("tags")[0].GetString());
        Assert.True(paths.GetProperty("/").GetProperty("get").GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("text/html", out _));
        Assert.False(paths.TryGetProperty("/status/status.js", out _));

        var schemas = doc.GetProperty("components").GetProperty("schemas");
        var summary = schemas.GetProperty("StatusSummary").GetProperty("properties");
        foreach (var name in new[] { "generated_at", "minutes", "requests", "posts", "objectives", "datasets", "recent_uploads" })
            Assert.True(summary.TryGetProperty(name, out _), $"StatusSummary.{name} is missing");
        var posts = schemas.GetProperty("PostTraffic").GetProperty("properties");
        foreach (var name in new[] { "p50_ms", "p95_ms", "server_errors", "over_threshold", "p95_ms_per_minute" })
            Assert.True(posts.TryGetProperty(name, out _), $"PostTraffic.{name} is missing");
        Assert.True(schemas.GetProperty("RecentUpload").GetProperty("properties").TryGetProperty("status_url", out _));
        Assert.True(schemas.GetProperty("DatasetActivity").GetProperty("properties").TryGetProperty("seconds_since_last_load", out _));
        Assert.True(schemas.GetProperty("ObjectiveStatus").GetProperty("properties").TryGetProperty("burn_rate", out _));
    }
}
