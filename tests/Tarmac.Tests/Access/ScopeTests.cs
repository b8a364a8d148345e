using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.ServiceDefaults.Access;
using Tarmac.Testing;

namespace Tarmac.Tests.Access;

/// <summary>A valid token without the route's scope or dataset gets a 403 problem naming what is missing.</summary>
public sealed class ScopeTests : IDisposable
{
    private readonly TarmacHost _host = Tokens.AuthHost();

    public void Dispose() => _host.Dispose();

    [Theory]
    [InlineData("GET", "/getdata", "upload", "read")]
    [InlineData("GET", "/datasets", "status", "read")]
    [InlineData("GET", "/stats?group_by=carrier", "upload", "read")]
    [InlineData("POST", "/upload", "read", "upload")]
    [InlineData("POST", "/datasets/flights/upload", "status", "upload")]
    [InlineData("GET", "/uploads/00000000000000000000000000000000", "read", "status")]
    [InlineData("GET", "/metrics", "read", "admin")]
    public async Task A_token_without_the_scope_gets_403_naming_it(string method, string path, string has, string missing)
    {
        using var client = Tokens.Client(_host, Tokens.Mint(_host, "acme", [has]));
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method == "POST") request.Content = new StringContent(SampleData.SeedCsv, Encoding.UTF8, "text/csv");
        var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(missing, problem.GetProperty("missing").GetString());
        Assert.Equal($"Missing scope '{missing}'", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task A_token_for_another_dataset_gets_403_naming_the_dataset_and_admin_reads_metrics()
    {
        using var client = Tokens.Client(_host, Tokens.Mint(_host, "acme", [Scopes.Read, Scopes.Upload], datasets: ["airports"]));
        foreach (var response in new[]
        {
            await client.GetAsync("/getdata"),
            await client.GetAsync("/datasets/flights/rows"),
            await client.GetAsync("/datasets/flights"),
            await client.PostAsync("/upload", new StringContent(SampleData.SeedCsv, Encoding.UTF8, "text/csv")),
            await client.PostAsJsonAsync("/uploads", new { dataset = "flights" }),
        })
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Equal("Missing dataset 'flights'", problem.GetProperty("title").GetString());
        }
        // The dataset list shows only what the token grants (flights is the only schema here).
        Assert.Equal(0, (await client.GetFromJsonAsync<JsonElement>("/datasets")).GetArrayLength());

        using var admin = Tokens.Client(_host, Tokens.Admin(_host));
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync("/metrics")).StatusCode);
        Assert.Equal(1, (await admin.GetFromJsonAsync<JsonElement>("/datasets")).GetArrayLength());
    }
}
