using System.Net;
using System.Text;
using System.Text.Json;
using Tarmac.Testing;

namespace Tarmac.FaultTests;

/// <summary>
/// The host's start as a real process (Program.cs runs in full only there: the in-process test host stops it after
/// <c>Build()</c>). The warehouse opens on a pool thread while the routes are mapped; readiness must still mean an upload
/// loads and a query answers, and a warehouse that cannot open must still stop the host.
/// </summary>
public sealed class StartupTests
{
    [Fact]
    public async Task Once_readyz_answers_200_an_upload_loads_and_is_queryable()
    {
        var dataDir = TempDirs.Create("startup-data");
        using var host = await LocalProcess.StartAsync(dataDir, KillAndRestartTests.SchemaDir());
        await UntilReadyAsync(host);

        var csv = "id,file,s\n1,7,first\n2,7,second\n";
        using var upload = await host.Http.PostAsync($"/datasets/{FaultWorkload.Dataset}/upload?wait=true",
            new StringContent(csv, Encoding.UTF8, "text/csv"));
        Assert.Equal(HttpStatusCode.OK, upload.StatusCode);
        using var status = JsonDocument.Parse(await upload.Content.ReadAsStringAsync());
        Assert.Equal("loaded", status.RootElement.GetProperty("status").GetString());
        Assert.Equal(2, status.RootElement.GetProperty("rows_loaded").GetInt64());

        using var rows = JsonDocument.Parse(await host.Http.GetStringAsync($"/datasets/{FaultWorkload.Dataset}/rows?sort=id"));
        var page = rows.RootElement.EnumerateArray().Select(r => r.GetProperty("s").GetString()).ToList();
        Assert.Equal(["first", "second"], page);
    }

    [Fact]
    public async Task A_warehouse_that_does_not_match_its_schema_file_stops_the_host()
    {
        var dataDir = TempDirs.Create("startup-mismatch");
        var schemas = KillAndRestartTests.SchemaDir();
        using (var first = await LocalProcess.StartAsync(dataDir, schemas))
        {
            await UntilReadyAsync(first);
            await first.TerminateAsync();
        }

        // The same dataset with one more column: the table the first run created no longer matches, and opening the
        // warehouse (now off the main thread) throws. The host must exit, not serve with a broken warehouse.
        File.WriteAllText(Path.Combine(schemas, FaultWorkload.Dataset + ".json"),
            FaultWorkload.Schema.Replace("]", ""","{"name":"extra","type":"STRING"}]""", StringComparison.Ordinal));
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => LocalProcess.StartAsync(dataDir, schemas));
        Assert.Contains("exited with", failed.Message, StringComparison.Ordinal);
    }

    /// <summary>Polls <c>/readyz</c> (the host is up once <c>/healthz</c> answers; the warehouse may still be opening).</summary>
    private static async Task UntilReadyAsync(LocalProcess host)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            using var r = await host.Http.GetAsync("/readyz", cts.Token);
            if (r.StatusCode == HttpStatusCode.OK) return;
            Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
            await Task.Delay(20, cts.Token); // polling a status, not waiting for time to pass
        }
    }
}
