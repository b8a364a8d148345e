using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tarmac.Testing;

namespace Tarmac.Tests.Functional;

/// <summary>A request that matches no route, or a route under another method, is told what to do instead, as problem+json.</summary>
public sealed class UnknownRouteTests : IDisposable
{
    private readonly TarmacHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task A_path_with_no_route_is_404_naming_it_and_where_the_routes_are()
    {
        var problem = await ProblemAsync(await _host.Http.GetAsync("/flights"), HttpStatusCode.NotFound);
        Assert.Equal("There is no GET /flights. The routes are described at /openapi.json (and /docs).", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_route_under_another_method_is_405_naming_the_methods_it_takes()
    {
        // GET /uploads is not a list: uploads are POSTed there and read one by one at /uploads/{id}.
        var response = await _host.Http.GetAsync("/uploads");
        var problem = await ProblemAsync(response, HttpStatusCode.MethodNotAllowed);
        Assert.Equal("POST", string.Join(",", response.Content.Headers.Allow));
        Assert.Equal("GET /uploads is not a route; this path takes POST (the Allow header). The routes are described at /openapi.json (and /docs).",
            problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task An_endpoints_own_not_found_keeps_its_detail()
    {
        var problem = await ProblemAsync(await _host.Http.GetAsync("/uploads/00000000000000000000000000000000"), HttpStatusCode.NotFound);
        Assert.Equal("There is no upload '00000000000000000000000000000000'. Upload ids are the 32 hex digits returned by POST /upload.",
            problem.GetProperty("detail").GetString());
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        return problem;
    }
}
