using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Sdk;

namespace Tarmac.IntegrationTests;

/// <summary>
/// The checks themselves are tested: against servers that answer 200 with empty or subtly wrong data,
/// every check must fail. (The seed's integration test accepted any 200.)
/// </summary>
public class ChecksCatchLiesTests
{
    /// <summary>Lying servers answer at once, so a short bound suffices; the stuck-status test waits it out.</summary>
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(2);

    private const string Stored = """{"upload_id":"0123456789abcdef0123456789abcdef","status":"stored","rows_loaded":0,"rows_rejected":0,"errors":[]}""";

    private const string Loaded = """{"upload_id":"0123456789abcdef0123456789abcdef","status":"loaded","rows_loaded":21,"rows_rejected":0,"errors":[]}""";

    /// <summary>A server that accepts uploads and reports success, but serves what <paramref name="rows"/> makes of the request.</summary>
    private static async Task<(WebApplication App, HttpClient Http)> LyingServerAsync(Func<HttpRequest, string> rows, string uploadStatus = Loaded)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/upload", () => Results.Content(uploadStatus, "application/json"));
        app.MapPost("/events", () => Results.Content(uploadStatus, "application/json"));
        app.MapGet("/uploads/{id}", () => Results.Content(uploadStatus, "application/json"));
        app.MapGet("/getdata", (HttpRequest r) => Results.Content(rows(r), "application/json"));
        app.MapGet("/stats", () => Results.Content("[]", "application/json"));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, new HttpClient { BaseAddress = new Uri(address + "/") });
    }

    [Fact]
    public async Task A_server_that_serves_nothing_fails_the_read_back_check()
    {
        var (app, http) = await LyingServerAsync(_ => "[]");
        await using var _ = app;
        await Assert.ThrowsAnyAsync<XunitException>(() => DeploymentChecks.UploadedRowsReadBackExactlyAsync(http, Wait));
    }

    [Fact]
    public async Task A_server_that_accepts_events_but_serves_nothing_fails_the_events_check()
    {
        const string partial = """{"upload_id":"0123456789abcdef0123456789abcdef","status":"partially_loaded","rows_loaded":5,"rows_rejected":1,"errors":[{"line":6,"column":"year","value":"twenty","reason":"must be an integer"}]}""";
        var (app, http) = await LyingServerAsync(_ => "[]", partial);
        await using var _ = app;
        await Assert.ThrowsAnyAsync<XunitException>(() => DeploymentChecks.EventsReadBackExactlyAsync(http, Wait));
    }

    [Fact]
    public async Task A_server_that_serves_someone_elses_rows_fails_the_read_back_check()
    {
        var stale = TakeoffRows.Generate(1, 21);
        var json = JsonSerializer.Serialize(stale.Select(r => new Dictionary<string, object?>
        {
            ["id"] = r.Id, ["year"] = r.Year, ["month"] = r.Month, ["day"] = r.Day, ["carrier"] = r.Carrier,
        }));
        var (app, http) = await LyingServerAsync(_ => json);
        await using var _ = app;
        await Assert.ThrowsAnyAsync<XunitException>(() => DeploymentChecks.UploadedRowsReadBackExactlyAsync(http, Wait));
    }

    [Fact]
    public async Task A_server_whose_stats_are_empty_fails_the_stats_check()
    {
        var (app, http) = await LyingServerAsync(_ => "[]");
        await using var _ = app;
        await Assert.ThrowsAnyAsync<XunitException>(() => DeploymentChecks.StatsReflectTheRowsAsync(http, TakeoffRows.Generate(5, 9)));
    }

    [Fact]
    public async Task A_server_that_loads_a_bad_file_fails_the_rejection_check()
    {
        var (app, http) = await LyingServerAsync(_ => "[]");
        await using var _ = app;
        await Assert.ThrowsAnyAsync<XunitException>(() => DeploymentChecks.BadFileIsRejectedWithLineErrorsAsync(http, Wait));
    }

    [Fact]
    public async Task A_server_whose_upload_never_finishes_fails_once_the_status_wait_is_over()
    {
        var (app, http) = await LyingServerAsync(_ => "[]", Stored);
        await using var _ = app;
        var failure = await Assert.ThrowsAnyAsync<XunitException>(() => DeploymentChecks.UploadedRowsReadBackExactlyAsync(http, Wait));
        Assert.Contains("has no final status after 2 s (TARMAC_STATUS_WAIT_SECONDS); last status: stored", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_errors_fails_every_check()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        app.MapFallback(() => Results.StatusCode((int)HttpStatusCode.InternalServerError));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        using var http = new HttpClient { BaseAddress = new Uri(address + "/") };
        await Assert.ThrowsAnyAsync<XunitException>(() => DeploymentChecks.UploadedRowsReadBackExactlyAsync(http, Wait));
        await Assert.ThrowsAnyAsync<XunitException>(() => DeploymentChecks.BadFileIsRejectedWithLineErrorsAsync(http, Wait));
    }
}
