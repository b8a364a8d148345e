using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Core.Query;
using Tarmac.Query;
using Tarmac.ServiceDefaults;

namespace Tarmac.Tests.Access;

/// <summary>
/// A query service on Google Cloud (Cloud Run hosting) with auth on refuses to start without <c>TARMAC_CURSOR_KEY</c>,
/// saying what to set, instead of signing cursors with a built-in key anyone could forge. infra/ sets the variable from
/// Secret Manager.
/// </summary>
public sealed class CursorKeyStartupTests
{
    private static readonly string Key = Convert.ToBase64String(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());

    private static WebApplication QueryOnCloudRun(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Production" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["urls"] = "http://127.0.0.1:0",
            ["TARMAC_SCHEMAS"] = Path.Combine(AppContext.BaseDirectory, "schemas"),
        }.Concat(settings));
        builder.AddTarmacDefaults(TarmacHosting.CloudRun);
        builder.Services.AddQuery();
        return builder.Build();
    }

    [Fact]
    public async Task Without_a_key_and_with_auth_on_query_refuses_to_start_saying_what_to_set()
    {
        await using var app = QueryOnCloudRun([]);
        var e = await Assert.ThrowsAnyAsync<InvalidOperationException>(() => app.StartAsync());
        Assert.StartsWith("Refusing to start: TARMAC_CURSOR_KEY is not set.", e.Message, StringComparison.Ordinal);
        Assert.Contains("Secret Manager", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_key_query_starts()
    {
        await using var app = QueryOnCloudRun(new() { ["TARMAC_CURSOR_KEY"] = Key });
        await app.StartAsync();
        Assert.NotNull(app.Services.GetRequiredService<CursorKey>());
        await app.StopAsync();
    }

    [Fact]
    public async Task With_auth_off_an_emulator_run_starts_without_a_key()
    {
        await using var app = QueryOnCloudRun(new() { ["TARMAC_AUTH"] = "off" });
        await app.StartAsync();
        await app.StopAsync();
    }
}
