using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Tarmac.GoogleCloud.Tests;

/// <summary>
/// Issue 15, item 3: a signed upload's object carries the trace of the request for its ticket, signed into its metadata
/// (<c>x-goog-meta-traceparent</c>), so process's work on it joins that trace.
/// </summary>
public sealed class SignedUploadTraceTests : IAsyncLifetime
{
    private readonly FakeGoogleCloud _fake = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task The_ticket_requests_traceparent_is_a_signed_metadata_header_of_the_upload()
    {
        await using var ingest = await GcpFunctionHost.StartAsync(CloudFunction.Ingest, GcpFunctionHost.Settings(_fake));
        const string traceId = "3c4d5e6f708192a3b4c5d6e7f8091a2b";
        // An outside client's request, carrying only the traceparent it chose.
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = ingest.Http.BaseAddress };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/uploads") { Content = new StringContent("""{"dataset":"flights","bytes":3000000000}""", Encoding.UTF8, "application/json") };
        request.Headers.TryAddWithoutValidation("traceparent", $"00-{traceId}-1a2b3c4d5e6f7081-01");

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ticket = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Matches($"^00-{traceId}-[0-9a-f]{{16}}-01$", ticket.GetProperty("headers").GetProperty("x-goog-meta-traceparent").GetString()!);
        var query = System.Web.HttpUtility.ParseQueryString(new Uri(ticket.GetProperty("upload_url").GetString()!).Query);
        Assert.Contains("x-goog-meta-traceparent", query["X-Goog-SignedHeaders"]!.Split(';'));
    }
}
