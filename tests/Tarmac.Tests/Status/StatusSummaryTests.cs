using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Ports;
using Tarmac.Testing;

namespace Tarmac.Tests.Status;

/// <summary>
/// <c>GET /status/summary</c> over loopback: after known uploads, a refused one and one that fails inside the host, the
/// hour's counts, rows, objectives and recent uploads are exactly what happened.
/// </summary>
public sealed class StatusSummaryTests : IDisposable
{
    private readonly TarmacHost _host = new(services: BreakableStore.Install);

    public void Dispose() => _host.Dispose();

    [Fact]
    public async Task The_summary_counts_the_hours_uploads_rows_and_failures_and_lists_the_recent_uploads()
    {
        var ids = new List<string>();
        foreach (var csv in new[] { StatusData.Rows(1, 7), StatusData.Rows(1, 3), StatusData.TwoGoodOneBad() })
        {
            var posted = await _host.PostCsvAsync("/upload", csv);
            Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
            var id = (await posted.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("upload_id").GetString()!;
            await _host.WaitForOutcomeAsync(id);
            ids.Add(id);
        }
        Assert.Equal(HttpStatusCode.BadRequest, (await _host.PostCsvAsync("/upload", "a,b\n1,2\n")).StatusCode);
        var store = (BreakableStore)_host.Services.GetRequiredService<IObjectStore>();
        store.Broken = true;
        Assert.Equal(HttpStatusCode.InternalServerError, (await _host.PostCsvAsync("/upload", StatusData.Rows(4, 7))).StatusCode);
        store.Broken = false;

        // A request is counted when it has been answered, a moment after its client has the answer: poll for all five.
        var s = await SummaryAsync(doc => doc.GetProperty("posts").GetProperty("total").GetInt64() == 5);

        var posts = s.GetProperty("posts");
        Assert.Equal(1, posts.GetProperty("server_errors").GetInt64());
        Assert.Equal(5, posts.GetProperty("total_per_minute").EnumerateArray().Sum(m => m.GetInt64()));
        Assert.Equal(1, posts.GetProperty("server_errors_per_minute").EnumerateArray().Sum(m => m.GetInt64()));
        Assert.True(posts.GetProperty("p50_ms").GetDouble() <= posts.GetProperty("p95_ms").GetDouble());
        Assert.Equal(1, s.GetProperty("requests").GetProperty("server_errors").GetInt64());
        Assert.Equal(60, s.GetProperty("minutes").GetArrayLength());

        var flights = Assert.Single(s.GetProperty("datasets").EnumerateArray());
        Assert.Equal("flights", flights.GetProperty("name").GetString());
        Assert.Equal((3, 12, 1), (flights.GetProperty("uploads").GetInt64(), flights.GetProperty("rows_loaded").GetInt64(), flights.GetProperty("rows_rejected").GetInt64()));
        Assert.Equal(3, flights.GetProperty("uploads_per_minute").EnumerateArray().Sum(m => m.GetInt64()));
        Assert.Equal(12, flights.GetProperty("rows_loaded_per_minute").EnumerateArray().Sum(m => m.GetInt64()));
        var last = await _host.Http.GetFromJsonAsync<JsonElement>($"/uploads/{ids[2]}");
        Assert.Equal(last.GetProperty("completed_at").GetDateTimeOffset(), flights.GetProperty("last_loaded_at").GetDateTimeOffset());
        Assert.True(flights.GetProperty("seconds_since_last_load").GetDouble() >= 0);

        var objectives = s.GetProperty("objectives").EnumerateArray().ToDictionary(o => o.GetProperty("id").GetString()!);
        var postErrors = objectives["post_errors"];
        Assert.Equal("Fewer than 1% of POST requests return 5xx", postErrors.GetProperty("title").GetString());
        Assert.Equal((5, 1, 0.8, 20.0, false), (postErrors.GetProperty("total").GetInt64(), postErrors.GetProperty("bad").GetInt64(),
            postErrors.GetProperty("good").GetDouble(), postErrors.GetProperty("burn_rate").GetDouble(), postErrors.GetProperty("met").GetBoolean()));
        Assert.Equal(10, postErrors.GetProperty("burn_rate_alert").GetDouble());
        var availability = objectives["availability"];
        Assert.Equal(1, availability.GetProperty("bad").GetInt64());
        Assert.Equal(s.GetProperty("requests").GetProperty("total").GetInt64(), availability.GetProperty("total").GetInt64());
        Assert.Equal(5, objectives["post_latency"].GetProperty("total").GetInt64());
        Assert.Equal(posts.GetProperty("over_threshold").GetInt64(), objectives["post_latency"].GetProperty("bad").GetInt64());

        // Newest first; the upload that failed inside the host never reached the ledger, the refused one neither.
        var recent = s.GetProperty("recent_uploads").EnumerateArray().ToList();
        Assert.Equal([ids[2], ids[1], ids[0]], recent.Select(u => u.GetProperty("upload_id").GetString()));
        Assert.Equal(["partially_loaded", "loaded", "loaded"], recent.Select(u => u.GetProperty("status").GetString()));
        Assert.Equal([2L, 3L, 7L], recent.Select(u => u.GetProperty("rows_loaded").GetInt64()));
        Assert.Equal([1L, 0L, 0L], recent.Select(u => u.GetProperty("rows_rejected").GetInt64()));
        Assert.Equal([1, 0, 0], recent.Select(u => u.GetProperty("error_count").GetInt32()));
        Assert.Equal("line 4, year: must be an integer", recent[0].GetProperty("first_error").GetString());
        Assert.Equal(JsonValueKind.Null, recent[1].GetProperty("first_error").ValueKind);
        Assert.All(recent, u => Assert.Equal($"/uploads/{u.GetProperty("upload_id").GetString()}", u.GetProperty("status_url").GetString()));
        var linked = await _host.Http.GetFromJsonAsync<JsonElement>(recent[0].GetProperty("status_url").GetString());
        Assert.Equal(4, linked.GetProperty("errors")[0].GetProperty("line").GetInt64());
    }

    [Fact]
    public async Task A_fresh_host_reports_an_empty_hour_with_every_objective_met()
    {
        var s = await _host.Http.GetFromJsonAsync<JsonElement>("/status/summary");
        Assert.Equal(0, s.GetProperty("posts").GetProperty("total").GetInt64());
        Assert.Equal(JsonValueKind.Null, s.GetProperty("posts").GetProperty("p95_ms").ValueKind);
        Assert.All(s.GetProperty("objectives").EnumerateArray(), o =>
        {
            Assert.True(o.GetProperty("met").GetBoolean());
            Assert.Equal(0, o.GetProperty("burn_rate").GetDouble());
        });
        var flights = Assert.Single(s.GetProperty("datasets").EnumerateArray());
        Assert.Equal(JsonValueKind.Null, flights.GetProperty("last_loaded_at").ValueKind);
        Assert.Equal(0, s.GetProperty("recent_uploads").GetArrayLength());
    }

    private async Task<JsonElement> SummaryAsync(Func<JsonElement, bool> ready)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var doc = await _host.Http.GetFromJsonAsync<JsonElement>("/status/summary", cts.Token);
            if (ready(doc)) return doc;
            await Task.Delay(20, cts.Token); // polling a status, not waiting for time to pass
        }
    }
}
