using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tarmac.Testing;

namespace Tarmac.Tests.Functional;

/// <summary><c>POST /uploads</c> on the local backend: it points to the direct upload route, which has no small cap locally.</summary>
public sealed class LargeUploadTicketTests : IDisposable
{
    private readonly TarmacHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task Locally_POST_uploads_points_to_the_direct_upload_route_and_that_route_works()
    {
        using var response = await _host.Http.PostAsJsonAsync("/uploads", new { dataset = "flights", file_name = "big.csv" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ticket = await response.Content.ReadFromJsonAsync<JsonElement>();
        var url = ticket.GetProperty("upload_url").GetString()!;
        Assert.Equal(new Uri(_host.Http.BaseAddress!, "/datasets/flights/upload"), new Uri(url));
        Assert.Equal("POST", ticket.GetProperty("method").GetString());
        Assert.Equal("text/csv", ticket.GetProperty("headers").GetProperty("content-type").GetString());
        Assert.Equal(JsonValueKind.Null, ticket.GetProperty("upload_id").ValueKind);

        using var upload = await _host.PostCsvAsync(url, SampleData.SeedCsv);
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
    }

    [Fact]
    public async Task POST_uploads_for_an_unknown_dataset_is_404_listing_the_known_ones()
    {
        using var response = await _host.Http.PostAsJsonAsync("/uploads", new { dataset = "nope" });
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("flights", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
