using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.Testing;

namespace Tarmac.FaultTests;

/// <summary>
/// Issue 15, item 3: Tarmac.Local as a real process at its default log level; one upload's trace id is followed from the
/// console line of its POST to the console line of its load, and it is the status document's <c>trace_id</c>.
/// </summary>
public sealed class TraceLogTests
{
    private static string Schemas() => Path.Combine(AppContext.BaseDirectory, "schemas");

    private static string Csv(int firstId) =>
        string.Join('\n', SampleData.SeedCsv.TrimEnd('\n').Split('\n').Select((l, i) => i == 0 ? l : $"{firstId + i - 1}{l[l.IndexOf(',', StringComparison.Ordinal)..]}")) + "\n";

    private static async Task<JsonElement> PostAsync(HttpClient client, string csv, string? traceParent)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/upload?wait=true") { Content = new StringContent(csv, Encoding.UTF8, "text/csv") };
        if (traceParent is not null) request.Headers.TryAddWithoutValidation("traceparent", traceParent);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var upload = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("loaded", upload.GetProperty("status").GetString());
        return upload;
    }

    /// <summary>Polls the process's output (each poll reads what it wrote so far) until a line matches.</summary>
    private static async Task<string> LineAsync(LocalProcess host, Func<string, bool> match, string what)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            if (host.OutputLines.FirstOrDefault(match) is { } line) return line;
            if (cts.IsCancellationRequested) Assert.Fail($"No console line {what}. Output:\n{string.Join('\n', host.OutputLines)}");
            await Task.Delay(20); // polling the output the process writes, not waiting for time to pass
        }
    }

    [Fact]
    public async Task The_POST_line_and_the_load_line_of_an_upload_carry_its_trace_id_at_the_default_log_level()
    {
        // An empty value removes LocalProcess's Warning level: the host logs at its own default.
        using var host = await LocalProcess.StartAsync(TempDirs.Create("trace-data"), Schemas(), new Dictionary<string, string> { ["Logging__LogLevel__Default"] = "" });
        // An outside client: it sends the traceparent it chose, or none (this process's own HTTP tracing stays out of it).
        using var client = new HttpClient(new SocketsHttpHandler { ActivityHeadersPropagator = null }) { BaseAddress = host.Http.BaseAddress };

        const string chosen = "5d3e0f6a9b8c7d6e5f4a3b2c1d0e9f8a";
        var traced = await PostAsync(client, Csv(0), $"00-{chosen}-1122334455667788-01");
        var untraced = await PostAsync(client, Csv(100), null);

        foreach (var (upload, expected) in new[] { (traced, chosen), (untraced, untraced.GetProperty("trace_id").GetString()!) })
        {
            var id = upload.GetProperty("upload_id").GetString()!;
            var status = await host.Http.GetFromJsonAsync<JsonElement>($"/uploads/{id}");
            Assert.Equal(expected, status.GetProperty("trace_id").GetString());

            var post = await LineAsync(host, l => l.Contains("POST /upload 200 ", StringComparison.Ordinal) && l.EndsWith($" trace_id={expected}", StringComparison.Ordinal), $"for the POST of trace {expected}");
            Assert.Contains(" info: ", post, StringComparison.Ordinal);
            var load = await LineAsync(host, l => l.Contains($"upload_processed: upload {id} of flights loaded, 7 rows loaded, 0 rejected", StringComparison.Ordinal), $"for the load of {id}");
            Assert.EndsWith($" trace_id={expected}", load, StringComparison.Ordinal);
            Assert.Contains(" info: Tarmac.Process.OutcomeReports[", load, StringComparison.Ordinal);
        }
        Assert.NotEqual(chosen, untraced.GetProperty("trace_id").GetString());
    }
}
