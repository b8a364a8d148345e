using Tarmac.Core.Ports;
using Tarmac.Embedded;
using Tarmac.Ingest;
using Tarmac.Local;
using Tarmac.Local.Status;
using Tarmac.Process;
using Tarmac.Query;
using Tarmac.ServiceDefaults;
using Tarmac.ServiceDefaults.Access;

if (args.FirstOrDefault() is TokenCommand.Verb or TokenCommand.JwksVerb)
{
    // Reads the signing key only (never the warehouse), so it runs beside a host on the same data folder.
    var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
    return TokenCommand.Run(args, configuration, Console.Out, Console.Error);
}

// The data folder (./data) is under the content root, which the reload-on-change of appsettings.json watches recursively:
// every segment, journal and WAL write woke the watcher's thread. Settings come from the environment and restarts.
var builder = WebApplication.CreateBuilder([.. args, "--hostBuilder:reloadConfigOnChange=false"]);
builder.AddTarmacDefaults(TarmacHosting.Local);
builder.AddEmbeddedBackend();
builder.Services.AddIngest().AddProcess().AddQuery();
builder.Services.AddHostedService<LocalEventPump>();
builder.Services.AddStatusPage();

var app = builder.Build();
// Opening the warehouse (DuckDB file, tables, schema check, WAL replay) is the longest step before the server listens, and
// mapping the routes and starting the telemetry do not need it: it runs on a second core meanwhile. The first to need it
// (the event pump, resolved as the host starts) waits for this resolution, and a failure still stops startup there.
_ = Task.Run(() => app.Services.GetRequiredService<IWarehouseReader>());
app.MapTarmacDefaults();
app.MapIngest();
app.MapQuery();
app.MapStatusPage();
app.Run();
return 0;

/// <summary>The local host; public so functional tests can start it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
