using Tarmac.Embedded;
using Tarmac.Ingest;
using Tarmac.Local;
using Tarmac.Process;
using Tarmac.Query;
using Tarmac.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddTarmacDefaults(TarmacHosting.Local);
builder.AddEmbeddedBackend();
builder.Services.AddIngest().AddProcess().AddQuery();
builder.Services.AddHostedService<LocalEventPump>();

var app = builder.Build();
app.MapTarmacDefaults();
app.MapIngest();
app.MapQuery();
app.Run();

/// <summary>The local host; public so functional tests can start it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
