using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.Testing;

namespace Tarmac.Tests.Functional;

/// <summary>
/// When an upload is wrong in several ways, the answer names the fault found first without reading the body:
/// the dataset, then the declared size, and only then the body's type and form.
/// </summary>
public sealed class UploadRefusalOrderTests : IDisposable
{
    private readonly TarmacHost _host = new(settings: new Dictionary<string, string?> { ["TARMAC_MAX_UPLOAD_BYTES"] = "2000" });

    public void Dispose() => _host.Dispose();

    private static async Task<JsonElement> ProblemOf(HttpResponseMessage response, HttpStatusCode status)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    [Fact]
    public async Task An_unknown_dataset_is_404_even_when_the_content_type_is_not_csv()
    {
        using var response = await _host.Http.PostAsync("/datasets/airports/upload", new StringContent("{}", Encoding.UTF8, "application/json"));
        var problem = await ProblemOf(response, HttpStatusCode.NotFound);
        Assert.Equal("Unknown dataset", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task An_unknown_dataset_is_404_even_when_the_declared_length_is_over_the_limit()
    {
        using var response = await _host.PostCsvAsync("/datasets/airports/upload", new string('x', 5000));
        await ProblemOf(response, HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task A_declared_length_over_the_limit_is_413_before_the_form_is_read()
    {
        using var form = new MultipartFormDataContent { { new StringContent(new string('x', 5000)), "note" } }; // no file part
        using var response = await _host.Http.PostAsync("/upload", form);
        var problem = await ProblemOf(response, HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("exceeds the limit of 2000 bytes", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
