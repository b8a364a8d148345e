using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.ServiceDefaults.Access;
using Tarmac.Testing;

namespace Tarmac.Tests.Access;

/// <summary>A producer reads the status of its own uploads only, unless it is also an admin.</summary>
public sealed class UploadOwnerTests
{
    [Fact]
    public async Task Status_is_for_the_sender_or_an_admin_and_a_duplicate_makes_its_sender_one()
    {
        using var host = Tokens.AuthHost();
        using var acme = Tokens.Client(host, Tokens.Mint(host, "acme", [Scopes.Upload, Scopes.Status]));
        using var rival = Tokens.Client(host, Tokens.Mint(host, "rival", [Scopes.Upload, Scopes.Status]));
        using var admin = Tokens.Client(host, Tokens.Admin(host));

        var sent = await (await acme.PostAsync("/upload?wait=true", new StringContent(SampleData.SeedCsv, Encoding.UTF8, "text/csv"))).Content.ReadFromJsonAsync<JsonElement>();
        var id = sent.GetProperty("upload_id").GetString()!;

        Assert.Equal(HttpStatusCode.OK, (await acme.GetAsync($"/uploads/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/uploads/{id}")).StatusCode);
        var refused = await rival.GetAsync($"/uploads/{id}");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal(id, (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("missing").GetString());

        // The same bytes from the rival answer with the first upload's id, which the rival may then follow.
        var again = await (await rival.PostAsync("/upload", new StringContent(SampleData.SeedCsv, Encoding.UTF8, "text/csv"))).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((id, true), (again.GetProperty("upload_id").GetString(), again.GetProperty("duplicate").GetBoolean()));
        Assert.Equal(HttpStatusCode.OK, (await rival.GetAsync($"/uploads/{id}")).StatusCode);
    }
}
