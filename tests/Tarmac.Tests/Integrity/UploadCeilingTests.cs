using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tarmac.Core.Ports;
using Tarmac.Core.Uploads;
using Tarmac.Ingest;
using Tarmac.Local;
using Tarmac.Testing;

namespace Tarmac.Tests.Integrity;

/// <summary>
/// Issue 13, defect 5: concurrent uploads have a ceiling (TARMAC_MAX_CONCURRENT_UPLOADS). Over it an upload gets 503 with
/// Retry-After before its body is read; once the uploads in flight are stored, uploads work again. Issue 14: while the
/// uploads accepted and not yet loaded are over TARMAC_MAX_PENDING_LOADS, likewise (Retry-After: 1) until loads catch up.
/// </summary>
public class UploadCeilingTests
{
    /// <summary>A CSV body that sends its header, then holds the request open until <see cref="Finish"/>.</summary>
    private sealed class SlowBody(string header, string rows) : HttpContent
    {
        private readonly TaskCompletionSource _finish = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public SlowBody WithType()
        {
            Headers.ContentType = new("text/csv");
            return this;
        }

        public void Finish() => _finish.TrySetResult();

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            await stream.WriteAsync(Encoding.UTF8.GetBytes(header + "\n"));
            await stream.FlushAsync();
            await _finish.Task;
            await stream.WriteAsync(Encoding.UTF8.GetBytes(rows));
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false; // chunked: the server cannot know the body's end until it comes
        }
    }

    private static string Row(int id) => $"{id},2013,1,1,517.0,515,2.0,830.0,819,11.0,UA,{id},N1,EWR,IAH,227.0,1400,5,15,2013-01-01 05:00:00,United\n";

    [Fact]
    public async Task Over_the_ceiling_an_upload_gets_503_with_Retry_After_and_uploads_work_again_after()
    {
        const int ceiling = 3;
        using var host = new TarmacHost(settings: new Dictionary<string, string?> { ["TARMAC_MAX_CONCURRENT_UPLOADS"] = $"{ceiling}" });
        var gate = host.Services.GetRequiredService<UploadGate>();
        var header = SampleData.SeedCsv.Split('\n')[0];
        var bodies = Enumerable.Range(0, ceiling).Select(i => new SlowBody(header, Row(100 + i)).WithType()).ToList();
        // A socket client of its own: one connection per held request, each with a body in flight.
        using var http = new HttpClient { BaseAddress = host.Http.BaseAddress };
        var held = bodies.Select(b => http.PostAsync("/upload?wait=true", b)).ToList();
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30)))
            while (gate.InFlight < ceiling)
            {
                if (held.FirstOrDefault(h => h.IsCompleted) is { } early) Assert.Fail($"A held upload ended early: {(await early).StatusCode}");
                await Task.Delay(10, timeout.Token); // polling the gate's count, not waiting for time
            }

        var refused = await host.PostCsvAsync("/upload", $"{header}\n{Row(200)}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(UploadGate.RetryAfterSeconds), refused.Headers.RetryAfter?.Delta);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Too many uploads at once", problem.GetProperty("title").GetString());
        Assert.Contains($"limit of {ceiling} uploads", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(ceiling, gate.InFlight); // the refusal took no slot and kept none
        // JSON events share the ceiling: they store bytes the same way.
        var eventRefused = await host.Http.PostAsync("/events", new StringContent("{\"id\": 1}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, eventRefused.StatusCode);
        Assert.Equal(TimeSpan.FromSeconds(UploadGate.RetryAfterSeconds), eventRefused.Headers.RetryAfter?.Delta);
        Assert.Equal(ceiling, gate.InFlight);
        var metrics = await host.Http.GetStringAsync("/metrics");
        Assert.Equal(2, PrometheusText.Value(metrics, "tarmac_uploads_refused_total", "reason=\"concurrent_uploads\""));
        Assert.Null(PrometheusText.Value(metrics, "tarmac_uploads_refused_total", "reason=\"loads_behind\""));

        foreach (var b in bodies) b.Finish();
        var answers = await Task.WhenAll(held);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(0, gate.InFlight);
        var again = await host.PostCsvAsync("/upload?wait=true", $"{header}\n{Row(200)}");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("loaded", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task A_wait_for_the_outcome_holds_no_slot()
    {
        // Ceiling 1: a second upload after a first that waited for its load is accepted (the first gave its slot back once stored).
        using var host = new TarmacHost(settings: new Dictionary<string, string?> { ["TARMAC_MAX_CONCURRENT_UPLOADS"] = "1" });
        var header = SampleData.SeedCsv.Split('\n')[0];
        var first = await host.PostCsvAsync("/upload?wait=true", $"{header}\n{Row(1)}");
        var second = await host.PostCsvAsync("/upload?wait=true", $"{header}\n{Row(2)}");
        Assert.Equal((HttpStatusCode.OK, HttpStatusCode.OK), (first.StatusCode, second.StatusCode));
        Assert.Equal(0, host.Services.GetRequiredService<UploadGate>().InFlight);
    }

    [Fact]
    public async Task While_the_loads_are_behind_an_upload_gets_503_with_Retry_After_1_and_uploads_work_again_once_they_catch_up()
    {
        const int limit = 3;
        using var host = new TarmacHost(settings: new Dictionary<string, string?> { ["TARMAC_MAX_PENDING_LOADS"] = $"{limit}" });
        var ledger = host.Services.GetRequiredService<IUploadLedger>();
        var backlog = host.Services.GetRequiredService<ILoadBacklog>();
        // The startup pass loads whatever is stored when it lists the ledger: registered before it ran, these would be
        // taken up (and fail, having no bytes), so they are registered after it.
        await host.Services.GetServices<IHostedService>().OfType<LocalEventPump>().Single().Recovered;
        // Registered and never announced, so the pump never loads them: the backlog stays at the limit until they settle.
        var pending = new List<string>();
        for (var i = 0; i < limit; i++)
        {
            var id = UploadIds.New();
            await ledger.RegisterAsync(new UploadRecord
            {
                UploadId = id, Dataset = "flights", Object = $"raw/flights/2026-12-02/{id}.csv", Bytes = 10, Sha256 = $"{i:x64}",
                Status = UploadStatus.Stored, ReceivedAt = DateTimeOffset.UtcNow,
            }, default);
            pending.Add(id);
        }
        Assert.Equal(limit, backlog.Pending);
        var header = SampleData.SeedCsv.Split('\n')[0];

        var refused = await host.PostCsvAsync("/upload", $"{header}\n{Row(300)}");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal(TimeSpan.FromSeconds(UploadGate.BehindRetryAfterSeconds), refused.Headers.RetryAfter?.Delta);
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Loads are behind", problem.GetProperty("title").GetString());
        Assert.Contains($"limit of {limit} uploads accepted and not yet loaded", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var eventRefused = await host.Http.PostAsync("/events", new StringContent("{\"id\": 1}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, eventRefused.StatusCode);
        // Nothing of the refused ones was stored or registered.
        Assert.Equal(limit, backlog.Pending);
        Assert.Equal(0, host.Services.GetRequiredService<UploadGate>().InFlight);
        var metrics = await host.Http.GetStringAsync("/metrics");
        Assert.Equal(2, PrometheusText.Value(metrics, "tarmac_uploads_refused_total", "reason=\"loads_behind\""));
        Assert.Equal(limit, PrometheusText.Value(metrics, "tarmac_loads_pending"));

        // One settles (here: marked failed, as a vanished object is): the next upload is taken and loaded.
        await ledger.MarkFailedAsync(pending[0], "trace_id=0; gone", default);
        Assert.Equal(limit - 1, backlog.Pending);
        var again = await host.PostCsvAsync("/upload?wait=true", $"{header}\n{Row(300)}");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("loaded", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        Assert.Equal(limit - 1, backlog.Pending);
    }
}
