using System.Net;
using System.Net.Http.Headers;
using Tarmac.DataGen;
using Tarmac.Testing;

namespace Tarmac.Cli.Tests;

/// <summary><c>tarmac generate</c> (the shared generator) and <c>tarmac token</c> (the host's own minting) with <c>TARMAC_TOKEN</c>.</summary>
public sealed class ToolTests
{
    [Fact]
    public async Task Generate_writes_the_shared_generators_bytes_to_stdout_or_a_file()
    {
        var stdout = await Cli.RunAsync(new Dictionary<string, string?>(), "generate", "--rows", "25", "--seed", "7");
        Assert.Equal((0, System.Text.Encoding.ASCII.GetString(new FlightsGenerator(7).ToArray(25))), (stdout.Exit, stdout.Out));

        var path = Path.Combine(TempDirs.Create("tarmac-gen"), "f.csv");
        var file = await Cli.RunAsync(new Dictionary<string, string?>(), "generate", "-n", "25", "--seed", "7", "--out", path);
        Assert.Equal((0, ""), (file.Exit, file.Out));
        Assert.Equal(new FlightsGenerator(7).ToArray(25), await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task A_token_minted_by_tarmac_token_opens_an_auth_host_through_TARMAC_TOKEN()
    {
        using var host = new TarmacHost(settings: new Dictionary<string, string?> { ["TARMAC_AUTH"] = "on" });
        var env = new Dictionary<string, string?> { ["TARMAC_URL"] = host.Http.BaseAddress!.ToString(), ["TARMAC_DATA_DIR"] = host.DataDir };

        var refused = await Cli.RunAsync(env, "datasets");
        Assert.Equal(1, refused.Exit);
        Assert.StartsWith("error: HTTP 401", refused.Err, StringComparison.Ordinal);

        var minted = await Cli.RunAsync(env, "token", "--name", "ops", "--scope", "admin", "--ttl", "15m");
        Assert.Equal((0, ""), (minted.Exit, minted.Err));
        var token = minted.Out.TrimEnd('\n');
        using var probe = new HttpClient { BaseAddress = host.Http.BaseAddress };
        probe.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        Assert.Equal(HttpStatusCode.OK, (await probe.GetAsync("/datasets")).StatusCode);

        var allowed = await Cli.RunAsync(new Dictionary<string, string?>(env) { ["TARMAC_TOKEN"] = token }, "datasets");
        Assert.Equal((0, ""), (allowed.Exit, allowed.Err));
        Assert.Contains(allowed.OutLines, l => l.TrimStart().StartsWith("flights ", StringComparison.Ordinal));

        var bad = await Cli.RunAsync(env, "token", "--name", "ops");
        Assert.Equal(2, bad.Exit);
        Assert.Contains("usage: token", bad.Err, StringComparison.Ordinal);
    }
}
