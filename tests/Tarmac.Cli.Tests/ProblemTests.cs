using System.Net;
using System.Text;
using System.Text.Json;
using Tarmac.Cli.Http;
using Tarmac.Testing;

namespace Tarmac.Cli.Tests;

/// <summary>The server's problem+json, printed for a person, with a non-zero exit code.</summary>
public sealed class ProblemTests : IDisposable
{
    private readonly TarmacHost _host = new();

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task A_refused_upload_prints_the_problems_title_and_detail_and_exits_1()
    {
        const string csv = "flight_no,when\n1,2\n";
        using var direct = await _host.PostCsvAsync("/datasets/flights/upload", csv);
        Assert.Equal(HttpStatusCode.BadRequest, direct.StatusCode);
        var problem = JsonDocument.Parse(await direct.Content.ReadAsStringAsync()).RootElement;

        var run = await Cli.RunAsync(_host, "upload", Cli.File("wrong.csv", csv));
        Assert.Equal((1, ""), (run.Exit, run.Out));
        var errors = run.ErrLines.SkipWhile(l => !l.StartsWith("error:", StringComparison.Ordinal)).ToArray();
        Assert.Equal($"error: HTTP 400 {problem.GetProperty("title").GetString()}", errors[0]);
        Assert.Equal($"  {problem.GetProperty("detail").GetString()}", errors[1]);
    }

    [Fact]
    public async Task A_bad_query_parameter_prints_the_parameter_and_what_it_allows()
    {
        var run = await Cli.RunAsync(_host, "query", "--filter", "dep_delay__like=3");
        using var response = await _host.Http.GetAsync("/datasets/flights/rows?dep_delay__like=3&format=ndjson");
        var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal((1, ""), (run.Exit, run.Out));
        string[] expected =
        [
            "error: HTTP 400 Invalid parameter 'dep_delay__like'",
            $"  {problem.GetProperty("detail").GetString()}",
            "  parameter: dep_delay__like",
            $"  allowed: {string.Join(", ", problem.GetProperty("allowed").EnumerateArray().Select(a => a.GetString()))}",
        ];
        Assert.Equal(expected, run.ErrLines.Take(4));
        // Anything else the server added (its trace id) follows as name: value.
        Assert.All(run.ErrLines.Skip(4), l => Assert.Matches("^  [a-zA-Z_]+: ", l));
    }

    [Fact]
    public async Task Row_errors_in_a_problem_are_printed_with_their_line_numbers()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.BadRequest)
        {
            Content = new StringContent("""
                {"type":"about:blank","title":"Rows rejected","status":400,"detail":"2 rows are invalid.",
                 "errors":[{"line":3,"column":"dep_delay","value":"soon","reason":"not a FLOAT"},{"line":9,"column":null,"value":null,"reason":"4 fields, expected 21"}],
                 "trace_id":"abc123"}
                """, Encoding.UTF8, "application/problem+json"),
        };
        var problem = await ApiProblem.ReadAsync(response, CancellationToken.None);
        using var text = new StringWriter { NewLine = "\n" };
        problem.WriteTo(text);
        Assert.Equal("""
            error: HTTP 400 Rows rejected
              2 rows are invalid.
              trace_id: abc123
              line 3, column dep_delay, value "soon": not a FLOAT
              line 9: 4 fields, expected 21

            """.Replace("\r\n", "\n", StringComparison.Ordinal), text.ToString());
    }

    [Fact]
    public async Task A_body_that_is_not_a_problem_is_shown_with_its_status()
    {
        using var response = new HttpResponseMessage(HttpStatusCode.RequestEntityTooLarge) { Content = new StringContent("<html>413 Request Entity Too Large</html>") };
        var problem = await ApiProblem.ReadAsync(response, CancellationToken.None);
        using var text = new StringWriter { NewLine = "\n" };
        problem.WriteTo(text);
        Assert.Equal("error: HTTP 413 Request Entity Too Large\n  <html>413 Request Entity Too Large</html>\n", text.ToString());
    }

    [Fact]
    public async Task An_unreachable_server_and_an_unknown_upload_exit_non_zero_with_a_message()
    {
        var unreachable = await Cli.RunAsync(new Dictionary<string, string?>(), "status", "0123456789abcdef0123456789abcdef", "--url", "http://127.0.0.1:9");
        Assert.Equal(1, unreachable.Exit);
        Assert.StartsWith("error: cannot reach http://127.0.0.1:9/", unreachable.Err, StringComparison.Ordinal);

        var unknown = await Cli.RunAsync(_host, "status", "0123456789abcdef0123456789abcdef");
        Assert.Equal(1, unknown.Exit);
        Assert.StartsWith("error: HTTP 404 Unknown upload\n  There is no upload '0123456789abcdef0123456789abcdef'.", unknown.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_command_line_exits_2()
    {
        var run = await Cli.RunAsync(_host, "upload");
        Assert.Equal(2, run.Exit);
        var badFilter = await Cli.RunAsync(_host, "query", "--filter", "carrier");
        Assert.Equal((2, "error: --filter takes column__op=value (e.g. carrier=UA, dep_delay__gt=60), not 'carrier'.\n"), (badFilter.Exit, badFilter.Err));
        var badUrl = await Cli.RunAsync(new Dictionary<string, string?> { ["TARMAC_URL"] = "127.0.0.1:8080" }, "datasets");
        Assert.Equal(2, badUrl.Exit);
        Assert.Contains("TARMAC_URL must be an http(s) URL, not '127.0.0.1:8080'.", badUrl.ErrLines);
    }
}
