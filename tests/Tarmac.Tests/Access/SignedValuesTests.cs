using System.Buffers.Text;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tarmac.Testing;

namespace Tarmac.Tests.Access;

/// <summary>Values the API hands out cannot be forged (cursors) or steered by the request (upload URLs).</summary>
public sealed class SignedValuesTests
{
    [Fact]
    public async Task A_forged_cursor_is_a_400_and_a_real_one_works_across_a_restart()
    {
        var data = TempDirs.Create("tarmac-data");
        string next;
        using (var host = new TarmacHost(dataDir: data))
        {
            Assert.Equal(HttpStatusCode.OK, (await host.PostCsvAsync("/upload?wait=true", SampleData.SeedCsv)).StatusCode);
            var first = await host.Http.GetAsync("/getdata?fields=id&sort=id&limit=2");
            next = first.Headers.GetValues("Link").Single().Split('<', '>')[1];
        }
        using var restarted = new TarmacHost(dataDir: data);
        Assert.Equal(HttpStatusCode.OK, (await restarted.Http.GetAsync(next)).StatusCode); // the key lives in the data folder

        // A cursor whose payload starts elsewhere, sealed with a digest anyone can compute (as the keyless ones were).
        var cursor = Uri.UnescapeDataString(next.Split("cursor=")[1].Split('&')[0]);
        var payload = Encoding.UTF8.GetString(Base64Url.DecodeFromChars(cursor.Split('.')[0]));
        var forgedPayload = Encoding.UTF8.GetBytes(payload.Replace("[\"1\"]", "[\"0\"]", StringComparison.Ordinal));
        Assert.NotEqual(payload, Encoding.UTF8.GetString(forgedPayload));
        var forged = Base64Url.EncodeToString(forgedPayload) + "." + Base64Url.EncodeToString(SHA256.HashData(forgedPayload).AsSpan(0, 16));
        var response = await restarted.Http.GetAsync(next.Split("cursor=")[0] + "cursor=" + Uri.EscapeDataString(forged));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("cursor", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("parameter").GetString());
    }

    [Fact]
    public async Task The_large_upload_url_comes_from_configuration_not_the_host_header()
    {
        using var host = new TarmacHost(settings: new Dictionary<string, string?>
        {
            ["TARMAC_PUBLIC_BASE_URL"] = "https://tarmac.example/",
            ["TARMAC_ALLOWED_HOSTS"] = "spoofed.example",
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/uploads") { Content = JsonContent.Create(new { dataset = "flights" }) };
        request.Headers.Host = "spoofed.example";
        var ticket = await (await host.Http.SendAsync(request)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://tarmac.example/datasets/flights/upload", ticket.GetProperty("upload_url").GetString());
    }

    [Fact]
    public async Task A_ticket_for_a_file_over_the_local_limit_is_refused_413_rather_than_pointed_at_a_route_that_would_refuse_it()
    {
        using var host = new TarmacHost(settings: new Dictionary<string, string?> { ["TARMAC_MAX_UPLOAD_BYTES"] = "1000" });
        var over = await host.Http.PostAsJsonAsync("/uploads", new { dataset = "flights", bytes = 1001 });
        Assert.Equal(System.Net.HttpStatusCode.RequestEntityTooLarge, over.StatusCode);
        Assert.Equal("application/problem+json", over.Content.Headers.ContentType!.MediaType);
        var problem = await over.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1000, problem.GetProperty("limit_bytes").GetInt64());
        Assert.Contains("TARMAC_MAX_UPLOAD_BYTES", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);

        var within = await host.Http.PostAsJsonAsync("/uploads", new { dataset = "flights", bytes = 1000 });
        Assert.Equal(System.Net.HttpStatusCode.OK, within.StatusCode);
        Assert.EndsWith("/datasets/flights/upload", (await within.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upload_url").GetString(), StringComparison.Ordinal);
    }
}
