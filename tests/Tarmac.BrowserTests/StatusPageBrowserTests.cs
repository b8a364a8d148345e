using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Ports;
using Tarmac.Testing;

namespace Tarmac.BrowserTests;

/// <summary>
/// Chromium loads the status page from a real host after known uploads, a refused one and one that fails inside the host;
/// the charts, tiles and tables its script drew carry exactly those numbers. A screenshot lands in artifacts/.
/// </summary>
public sealed class StatusPageBrowserTests : IDisposable
{
    private readonly TarmacHost _host = new(services: BreakableStore.Install);

    // Dataset, uploads, rows loaded, rows rejected: the columns of the freshness table that do not depend on the clock.
    private static readonly int[] FreshnessCells = [0, 3, 4, 5];

    public void Dispose() => _host.Dispose();

    [SkippableFact]
    public async Task The_page_draws_the_hours_uploads_rows_latency_and_5xx_with_the_right_numbers()
    {
        Chromium.Require();
        var ids = await UploadAsync();
        var summary = await SummaryAsync(s => s.GetProperty("posts").GetProperty("total").GetInt64() == 5);
        var page = _host.Http.BaseAddress!;

        var dom = new HtmlParser().ParseDocument(await Chromium.DumpDomAsync(page, TimeSpan.FromSeconds(4)));

        Assert.False(string.IsNullOrEmpty(dom.Body!.GetAttribute("data-rendered")), "the script never rendered a summary");
        Assert.True(dom.GetElementById("problem")!.HasAttribute("hidden"), dom.GetElementById("problem")!.TextContent);

        // Bars: one segment per dataset and minute; their values add up to the hour's uploads and rows.
        var uploads = Chart(dom, "uploads");
        Assert.Equal("3", uploads.GetAttribute("data-total"));
        Assert.Equal(3, Values(uploads, "rect.bar[data-series='flights']").Sum());
        var rows = Chart(dom, "rows");
        Assert.Equal("12", rows.GetAttribute("data-total"));
        Assert.Equal(12, Values(rows, "rect.bar[data-series='flights']").Sum());

        // Latency: a p95 marker for every minute with POSTs, at the value the JSON gives; the objective line at 300 ms.
        var latency = Chart(dom, "latency");
        Assert.Equal("300", latency.QuerySelector("line.slo")!.GetAttribute("data-value"));
        var expectedP95 = summary.GetProperty("minutes").EnumerateArray().Zip(summary.GetProperty("posts").GetProperty("p95_ms_per_minute").EnumerateArray())
            .Where(p => p.Second.ValueKind == JsonValueKind.Number)
            .Select(p => (p.First.GetString()!, p.Second.GetDouble())).ToList();
        var drawnP95 = latency.QuerySelectorAll("circle[data-series='p95']")
            .Select(c => (c.GetAttribute("data-minute")!, double.Parse(c.GetAttribute("data-value")!, CultureInfo.InvariantCulture))).ToList();
        Assert.NotEmpty(drawnP95);
        Assert.Equal(expectedP95, drawnP95);
        Assert.Equal(drawnP95.Count, latency.QuerySelectorAll("circle[data-series='p50']").Length);

        // 5xx: the objective line at 1%, and the hour's POST rate of one 5xx in five POSTs.
        Assert.Equal("1", Chart(dom, "errors").QuerySelector("line.slo")!.GetAttribute("data-value"));
        Assert.Equal("20%", Tile(dom, "post-5xx"));
        Assert.Equal("3", Tile(dom, "uploads"));
        Assert.Equal("12", Tile(dom, "rows"));
        var postErrors = dom.QuerySelector("tr[data-objective='post_errors']")!;
        Assert.Equal("20", postErrors.GetAttribute("data-burn-rate"));
        Assert.Contains("1 / 5", postErrors.TextContent, StringComparison.Ordinal);
        Assert.Equal("breached", dom.GetElementById("overall")!.GetAttribute("data-state"));

        // Freshness and the recent uploads, newest first, each linking to its status document.
        var flights = dom.QuerySelector("#datasets tr[data-dataset='flights']")!;
        Assert.Equal(["flights", "3", "12", "1"], FreshnessCells.Select(i => flights.Children[i].TextContent));
        var recent = dom.QuerySelectorAll("#uploads tr[data-upload-id]");
        Assert.Equal([ids[2], ids[1], ids[0]], recent.Select(r => r.GetAttribute("data-upload-id")));
        Assert.Equal(["partially_loaded", "loaded", "loaded"], recent.Select(r => r.GetAttribute("data-status")));
        Assert.Equal(["2", "3", "7"], recent.Select(r => r.GetAttribute("data-rows-loaded")));
        Assert.All(recent, r => Assert.Equal($"/uploads/{r.GetAttribute("data-upload-id")}", r.QuerySelector("a")!.GetAttribute("href")));
        Assert.Contains("1 row error", recent[0].TextContent, StringComparison.Ordinal);
        Assert.Contains("line 4, year: must be an integer", recent[0].TextContent, StringComparison.Ordinal);

        var artifacts = Path.Combine(RepoRoot(), "artifacts");
        Directory.CreateDirectory(artifacts);
        var png = Path.Combine(artifacts, "status-page.png");
        File.Delete(png);
        await Chromium.ScreenshotAsync(page, png, 1400, 1560, TimeSpan.FromSeconds(4));
        var bytes = await File.ReadAllBytesAsync(png);
        Assert.True(bytes.Length > 20_000, $"the screenshot is only {bytes.Length} bytes");
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], bytes[..4]);
    }

    // Three uploads with known rows (7, 3, and 2 of 3), one refused (400) and one that fails inside the host (500).
    private async Task<List<string>> UploadAsync()
    {
        var lines = SampleData.SeedCsv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')).ToArray();
        var bad = lines[6].Split(',');
        bad[1] = "notayear";
        var files = new[]
        {
            string.Join('\n', lines[..8]) + "\n",
            string.Join('\n', lines[..4]) + "\n",
            $"{lines[0]}\n{lines[4]}\n{lines[5]}\n{string.Join(',', bad)}\n",
        };
        var ids = new List<string>();
        foreach (var csv in files)
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
        Assert.Equal(HttpStatusCode.InternalServerError, (await _host.PostCsvAsync("/upload", string.Join('\n', lines[..3]) + "\n")).StatusCode);
        store.Broken = false;
        return ids;
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

    private static IElement Chart(IDocument dom, string id) =>
        dom.QuerySelector($"svg[data-chart='{id}']") ?? throw new Xunit.Sdk.XunitException($"chart '{id}' was not drawn");

    private static IEnumerable<long> Values(IElement chart, string selector) =>
        chart.QuerySelectorAll(selector).Select(e => long.Parse(e.GetAttribute("data-value")!, CultureInfo.InvariantCulture));

    private static string Tile(IDocument dom, string metric) =>
        dom.QuerySelector($".tile[data-metric='{metric}'] .value")!.TextContent;

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Tarmac.slnx"))) return dir.FullName;
        throw new InvalidOperationException($"No Tarmac.slnx above {AppContext.BaseDirectory}");
    }
}
