using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.ServiceDefaults.Access;
using Tarmac.Testing;
using Tarmac.Tests.Access;

namespace Tarmac.Tests.Events;

/// <summary>The events routes sit under the upload scope, dataset grants, owner tracking and upload limits of the CSV routes.</summary>
public sealed class EventsAccessTests : IDisposable
{
    private readonly TarmacHost _host = Tokens.AuthHost(new Dictionary<string, string?> { ["TARMAC_UPLOAD_DAILY_QUOTA"] = "2", ["TARMAC_UPLOAD_RATE_LIMIT_RPS"] = "1000" });

    public void Dispose() => _host.Dispose();

    private static StringContent Event(long id) => new($"{{\"id\": {id}, \"year\": 2013, \"month\": 1, \"day\": 1}}", Encoding.UTF8, "application/json");

    [Theory]
    [InlineData("/events", "read")]
    [InlineData("/datasets/flights/events", "status")]
    public async Task A_token_without_the_upload_scope_gets_403_naming_it(string path, string has)
    {
        using var client = Tokens.Client(_host, Tokens.Mint(_host, "acme", [has]));
        using var response = await client.PostAsync(path, Event(1));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("upload", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("missing").GetString());
    }

    [Theory]
    [InlineData("/events")]
    [InlineData("/datasets/flights/events")]
    public async Task A_token_for_another_dataset_gets_403_naming_flights(string path)
    {
        using var client = Tokens.Client(_host, Tokens.Mint(_host, "acme", [Scopes.Upload], datasets: ["airports"]));
        using var response = await client.PostAsync(path, Event(1));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("Missing dataset 'flights'", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("title").GetString());
    }

    [Fact]
    public async Task Events_count_against_the_upload_quota_with_CSV_and_their_sender_owns_their_status()
    {
        using var producer = Tokens.Client(_host, Tokens.Mint(_host, "producer", [Scopes.Upload, Scopes.Status]));
        using var rival = Tokens.Client(_host, Tokens.Mint(_host, "rival", [Scopes.Upload, Scopes.Status]));
        Assert.Equal(HttpStatusCode.OK, (await producer.PostAsync("/upload", new StringContent(SampleData.SeedCsv, Encoding.UTF8, "text/csv"))).StatusCode);
        using var sent = await producer.PostAsync("/events?wait=true", Event(42));
        Assert.Equal(HttpStatusCode.OK, sent.StatusCode);
        var id = (await sent.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upload_id").GetString()!;

        using var third = await producer.PostAsync("/datasets/flights/events", Event(43));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("uploads-daily", (await third.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("policy").GetString());

        Assert.Equal(HttpStatusCode.OK, (await producer.GetAsync($"/uploads/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await rival.GetAsync($"/uploads/{id}")).StatusCode);
    }
}
