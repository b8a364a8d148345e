using System.Net;
using System.Text.Json;
using Tarmac.Testing;

namespace Tarmac.Query.Tests;

/// <summary>The OpenAPI document describes every endpoint with its parameters and errors; /docs renders it.</summary>
public class OpenApiTests(LoadedHost fx) : IClassFixture<LoadedHost>
{
    [Fact]
    public async Task The_document_describes_every_endpoint_with_parameters_and_problem_responses()
    {
        var (response, doc) = await fx.Host.GetJsonAsync("/openapi.json");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("3.", doc.GetProperty("openapi").GetString());
        var paths = doc.GetProperty("paths");
        foreach (var path in new[] { "/upload", "/datasets/{name}/upload", "/uploads/{id}", "/getdata", "/datasets/{name}/rows", "/stats", "/datasets/{name}/stats", "/datasets", "/datasets/{name}", "/healthz", "/readyz" })
            Assert.True(paths.TryGetProperty(path, out _), $"{path} is missing");

        var getdata = paths.GetProperty("/getdata").GetProperty("get");
        var parameters = getdata.GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Superset(new HashSet<string?> { "fields", "sort", "limit", "cursor", "format", "count", "carrier", "dep_delay__gt" }, parameters.ToHashSet());
        Assert.Contains("__between", getdata.GetProperty("description").GetString());
        foreach (var code in new[] { "200", "304", "400", "503" }) Assert.True(getdata.GetProperty("responses").TryGetProperty(code, out _), $"/getdata {code}");
        Assert.True(getdata.GetProperty("responses").GetProperty("400").GetProperty("content").TryGetProperty("application/problem+json", out _));
        Assert.True(getdata.GetProperty("responses").GetProperty("200").GetProperty("content").TryGetProperty("text/csv", out _));
        Assert.True(paths.GetProperty("/stats").GetProperty("get").GetProperty("responses").TryGetProperty("400", out _));
        Assert.True(paths.GetProperty("/upload").GetProperty("post").GetProperty("responses").TryGetProperty("415", out _));
    }

    [Fact]
    public async Task Docs_page_is_served_without_leaving_the_host()
    {
        var html = await fx.Host.Http.GetStringAsync("/docs/");
        Assert.Contains("\"url\":\"openapi.json\"", html); // resolved against the site's base path by Scalar's loader
        Assert.DoesNotContain("cdn.", html);
        var script = await fx.Host.Http.GetAsync("/docs/scalar.js");
        Assert.Equal(HttpStatusCode.OK, script.StatusCode); // the UI ships inside the app: no CDN needed
    }
}
