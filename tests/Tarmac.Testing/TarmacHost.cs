using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Tarmac.Testing;

/// <summary>
/// The whole local system (Tarmac.Local) on a real Kestrel socket on 127.0.0.1, with its own data folder.
/// Dispose and create another on the same <see cref="DataDir"/> to test a restart.
/// </summary>
public sealed class TarmacHost : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    public TarmacHost(string? dataDir = null, string? schemaDir = null, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        _services = services;
        DataDir = dataDir ?? TempDirs.Create("tarmac-data");
        SchemaDir = schemaDir ?? Path.Combine(AppContext.BaseDirectory, "schemas");
        _settings = settings ?? new Dictionary<string, string?>();
        UseKestrel(0);
        StartServer();
        Http = CreateClient();
        Http.Timeout = TimeSpan.FromMinutes(2);
    }

    /// <summary>The data folder (bucket and warehouse) of this host.</summary>
    public string DataDir { get; }

    /// <summary>The schema folder this host reads.</summary>
    public string SchemaDir { get; }

    /// <summary>A client whose base address is the host's loopback URL.</summary>
    public HttpClient Http { get; }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("TARMAC_DATA_DIR", DataDir);
        builder.UseSetting("TARMAC_SCHEMAS", SchemaDir);
        foreach (var (k, v) in _settings) builder.UseSetting(k, v);
        if (_services is not null) builder.ConfigureServices(_services);
    }

    /// <summary>Posts CSV text to a path as text/csv.</summary>
    public Task<HttpResponseMessage> PostCsvAsync(string path, string csv) =>
        Http.PostAsync(path, new StringContent(csv, System.Text.Encoding.UTF8, "text/csv"));

    /// <summary>Polls GET /uploads/{id} until its status is no longer <c>stored</c>, and returns the document.</summary>
    public async Task<JsonElement> WaitForOutcomeAsync(string uploadId, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
        while (true)
        {
            var doc = await Http.GetFromJsonAsync<JsonElement>($"/uploads/{uploadId}", cts.Token);
            if (doc.GetProperty("status").GetString() != "stored") return doc;
            await Task.Delay(20, cts.Token); // polling a status, not waiting for time to pass
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) Http.Dispose();
        base.Dispose(disposing);
    }
}

/// <summary>Temporary folders, removed at process exit.</summary>
public static class TempDirs
{
    public static string Create(string prefix)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => { try { Directory.Delete(dir, true); } catch (IOException) { } };
        return dir;
    }
}

/// <summary>Sample files shipped with the tests.</summary>
public static class SampleData
{
    /// <summary>The seed's 7-row test.csv, byte for byte.</summary>
    public static string SeedCsv => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Data", "seed-test.csv"));
}
