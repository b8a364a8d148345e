using Tarmac.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.Testing;

namespace Tarmac.Tests.Functional;

/// <summary>Every refusal is an RFC 9457 problem that says what to fix, and leaves nothing behind.</summary>
public sealed class BadInputTests : IDisposable
{
    private readonly TarmacHost _host = new(settings: new Dictionary<string, string?> { ["TARMAC_MAX_UPLOAD_BYTES"] = "2000" });

    public void Dispose() => _host.Dispose();

    private static string Header => SampleData.SeedCsv.Split('\n')[0];

    private async Task<JsonElement> AssertProblem(HttpResponseMessage response, HttpStatusCode status, string detailContains)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Contains(detailContains, problem.GetProperty("detail").GetString());
        // Nothing refused may reach the bucket.
        // Through the store: small objects live in segment files, not one file each.
        Assert.False(await _host.Services.GetRequiredService<IObjectStore>().ListAsync("raw/", default).AnyAsync(), "a refused upload left an object");
        return problem;
    }

    [Fact]
    public async Task Empty_body_is_400() =>
        await AssertProblem(await _host.PostCsvAsync("/upload", ""), HttpStatusCode.BadRequest, "The body is empty");

    [Fact]
    public async Task Header_only_is_400() =>
        await AssertProblem(await _host.PostCsvAsync("/upload", Header + "\n"), HttpStatusCode.BadRequest, "no data rows");

    [Fact]
    public async Task Missing_required_and_unknown_columns_are_named() =>
        await AssertProblem(await _host.PostCsvAsync("/upload", "id,year,colour\n1,2013,red\n"), HttpStatusCode.BadRequest,
            "missing required column(s): month, day; unknown column(s): colour");

    [Fact]
    public async Task Binary_content_is_400()
    {
        var content = new ByteArrayContent([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00]);
        content.Headers.ContentType = new("text/csv");
        await AssertProblem(await _host.Http.PostAsync("/upload", content), HttpStatusCode.BadRequest, "looks binary");
    }

    [Fact]
    public async Task Latin1_text_is_400_not_utf8()
    {
        var content = new ByteArrayContent(Encoding.Latin1.GetBytes(Header + "\n1,2013,1,1,,,,,,,,,,,,,,,,,Ñandú Aéreo\n"));
        content.Headers.ContentType = new("text/csv");
        await AssertProblem(await _host.Http.PostAsync("/upload", content), HttpStatusCode.BadRequest, "not valid UTF-8");
    }

    [Fact]
    public async Task Over_the_limit_is_413_from_content_length()
    {
        var big = Header + "\n" + string.Concat(Enumerable.Repeat("1,2013,1,1,,,,,,,,,,,,,,,,,\n", 100));
        var problem = await AssertProblem(await _host.PostCsvAsync("/upload", big), HttpStatusCode.RequestEntityTooLarge, "exceeds the limit of 2000 bytes");
        Assert.Contains("POST /uploads", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Over_the_limit_is_413_when_streamed_without_length()
    {
        var big = Encoding.UTF8.GetBytes(Header + "\n" + string.Concat(Enumerable.Repeat("1,2013,1,1,,,,,,,,,,,,,,,,,\n", 100)));
        var content = new StreamContent(new MemoryStream(big)); // no Content-Length: sent chunked
        content.Headers.ContentType = new("text/csv");
        var request = new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        await AssertProblem(await _host.Http.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "exceeds the limit");
    }

    [Fact]
    public async Task A_gzip_bomb_is_stopped_at_the_decompressed_limit()
    {
        using var gz = new MemoryStream();
        using (var z = new System.IO.Compression.GZipStream(gz, System.IO.Compression.CompressionLevel.SmallestSize, leaveOpen: true))
            z.Write(Encoding.UTF8.GetBytes(Header + "\n" + string.Concat(Enumerable.Repeat("1,2013,1,1,,,,,,,,,,,,,,,,,\n", 10_000))));
        Assert.True(gz.Length < 2000);
        var content = new ByteArrayContent(gz.ToArray());
        content.Headers.ContentType = new("text/csv");
        content.Headers.ContentEncoding.Add("gzip");
        await AssertProblem(await _host.Http.PostAsync("/upload", content), HttpStatusCode.RequestEntityTooLarge, "exceeds the limit");
    }

    [Fact]
    public async Task Corrupt_gzip_is_400()
    {
        var content = new ByteArrayContent([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02, 0x03]);
        content.Headers.ContentType = new("text/csv");
        content.Headers.ContentEncoding.Add("gzip");
        await AssertProblem(await _host.Http.PostAsync("/upload", content), HttpStatusCode.BadRequest, "could not be decompressed");
    }

    [Fact]
    public async Task Unknown_dataset_is_404_listing_the_known_ones() =>
        await AssertProblem(await _host.PostCsvAsync("/datasets/airports/upload", Header + "\n1,2013,1,1\n"), HttpStatusCode.NotFound, "Known datasets: flights");

    [Fact]
    public async Task Unsupported_content_type_is_415_saying_what_to_send()
    {
        var content = new StringContent("{}", Encoding.UTF8, "application/json");
        await AssertProblem(await _host.Http.PostAsync("/upload", content), HttpStatusCode.UnsupportedMediaType, "Content-Type: text/csv");
    }

    [Fact]
    public async Task A_form_without_a_file_is_400()
    {
        using var form = new MultipartFormDataContent { { new StringContent("hello"), "note" } };
        await AssertProblem(await _host.Http.PostAsync("/upload", form), HttpStatusCode.BadRequest, "no file part");
    }

    [Fact]
    public async Task A_truncated_multipart_body_is_400()
    {
        var body = "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\n"
            + Header + "\n1,2013,1,1,,,,,,,,,,,,,,,,,\n"; // no closing boundary
        var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse("multipart/form-data; boundary=b0undary");
        await AssertProblem(await _host.Http.PostAsync("/upload", content), HttpStatusCode.BadRequest, "closing boundary");
    }
}
