using Tarmac.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.Testing;

namespace Tarmac.Tests.Events;

/// <summary>A body that is not JSON records at all is refused at once with a problem saying what to fix, and leaves nothing behind.</summary>
public sealed class EventsRefusalTests : IDisposable
{
    private readonly TarmacHost _host = new(settings: new Dictionary<string, string?> { ["TARMAC_MAX_UPLOAD_BYTES"] = "2000" });

    public void Dispose() => _host.Dispose();

    private async Task AssertProblem(string path, byte[] body, string type, HttpStatusCode status, string title, string detailContains, bool chunked = false)
    {
        HttpContent content = chunked ? new StreamContent(new MemoryStream(body)) : new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValueOrNull(type);
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = content };
        if (chunked) request.Headers.TransferEncodingChunked = true;
        using var response = await _host.Http.SendAsync(request);
        Assert.Equal(status, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((int)status, problem.GetProperty("status").GetInt32());
        Assert.Equal(title, problem.GetProperty("title").GetString());
        Assert.Contains(detailContains, problem.GetProperty("detail").GetString());
        // Through the store: small objects live in segment files, not one file each.
        Assert.False(await _host.Services.GetRequiredService<IObjectStore>().ListAsync("raw/", default).AnyAsync(), "a refused upload left an object");
    }

    private static System.Net.Http.Headers.MediaTypeHeaderValue? MediaTypeHeaderValueOrNull(string type) =>
        type.Length == 0 ? null : System.Net.Http.Headers.MediaTypeHeaderValue.Parse(type);

    private Task AssertProblem(string body, string type, HttpStatusCode status, string title, string detailContains, bool chunked = false) =>
        AssertProblem("/events", Encoding.UTF8.GetBytes(body), type, status, title, detailContains, chunked);

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/x-ndjson")]
    public Task Text_that_is_not_json_is_400(string type) =>
        AssertProblem("hello, this is not json\n", type, HttpStatusCode.BadRequest, type == "application/json" ? "Not valid JSON" : "Not NDJSON",
            type == "application/json" ? "The body is not valid JSON at line 1, byte 1" : "Line 1, the first record, is not valid JSON");

    [Fact]
    public Task A_syntax_error_deep_in_an_array_is_400_with_its_line() =>
        AssertProblem("[{\"id\": 1},\n {\"id\": 2},\n {\"id\": 3,, \"x\": 1}]", "application/json", HttpStatusCode.BadRequest, "Not valid JSON",
            "The body is not valid JSON at line 3, byte 11");

    [Fact]
    public Task Something_after_the_top_level_value_is_400() =>
        AssertProblem("{\"id\": 1}\n{\"id\": 2}\n", "application/json", HttpStatusCode.BadRequest, "Not valid JSON", "at line 2, byte 1");

    [Fact]
    public Task A_top_level_scalar_is_400() =>
        AssertProblem("42", "application/json", HttpStatusCode.BadRequest, "Not a JSON record", "The body is a JSON number, not a JSON object or an array of objects");

    [Fact]
    public Task An_unfinished_array_is_400() =>
        AssertProblem("[{\"id\": 1}, {\"id\": 2}", "application/json", HttpStatusCode.BadRequest, "Not valid JSON", "The body is not valid JSON");

    [Fact]
    public Task An_empty_array_is_400_no_records_as_a_header_only_csv_is() =>
        AssertProblem(" [ ] ", "application/json", HttpStatusCode.BadRequest, "No records", "The array is empty");

    [Fact]
    public Task Blank_ndjson_is_400_no_records() =>
        AssertProblem("\n  \r\n\n", "application/x-ndjson", HttpStatusCode.BadRequest, "No records", "The body has no record");

    [Fact]
    public Task An_ndjson_body_whose_first_record_is_an_array_is_400() =>
        AssertProblem("\n[{\"id\": 1}]\n", "application/x-ndjson", HttpStatusCode.BadRequest, "Not NDJSON", "Line 2, the first record, is not a JSON object");

    [Fact]
    public Task An_empty_body_is_400() =>
        AssertProblem("", "application/json", HttpStatusCode.BadRequest, "Empty upload", "The body is empty");

    [Fact]
    public Task Binary_is_400() =>
        AssertProblem("/events", [0x7B, 0x00, 0x7D], "application/json", HttpStatusCode.BadRequest, "Not a text body", "looks binary");

    [Fact]
    public Task Latin1_is_400() =>
        AssertProblem("/events", Encoding.Latin1.GetBytes("{\"name\": \"Ñandú\"}"), "application/x-ndjson", HttpStatusCode.BadRequest, "Not UTF-8", "not valid UTF-8");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public Task Over_the_limit_is_413_from_the_declared_length_or_while_streaming(bool chunked) =>
        AssertProblem("[" + string.Join(",", Enumerable.Repeat("{\"id\": 123456789}", 200)) + "]", "application/json", HttpStatusCode.RequestEntityTooLarge,
            "Upload too large", "The body exceeds the limit of 2000 bytes. Send the records in several smaller requests.", chunked);

    [Theory]
    [InlineData("text/csv")]
    [InlineData("application/xml")]
    [InlineData("")]
    public Task Other_content_types_are_415(string type) =>
        AssertProblem("{\"id\": 1}", type, HttpStatusCode.UnsupportedMediaType, "Unsupported Content-Type", "application/x-ndjson");

    [Fact]
    public Task A_charset_other_than_utf8_is_415() =>
        AssertProblem("{\"id\": 1}", "application/json; charset=iso-8859-1", HttpStatusCode.UnsupportedMediaType, "Unsupported charset", "JSON is UTF-8");

    [Fact]
    public Task An_unknown_dataset_is_404() =>
        AssertProblem("/datasets/nope/events", "{\"id\": 1}"u8.ToArray(), "application/json", HttpStatusCode.NotFound, "Unknown dataset", "There is no dataset 'nope'");
}
