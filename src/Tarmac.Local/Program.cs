using Tarmac.Ingest;
using Tarmac.Process;
using Tarmac.Query;
using Tarmac.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddTarmacDefaults(loopbackOnly: true);
builder.Services.AddIngest().AddProcess().AddQuery();

var app = builder.Build();
app.MapTarmacDefaults();
app.MapIngest();
app.MapProcess();
app.MapQuery();
app.Run();

/// <summary>The local host; public so functional tests can start it with <c>WebApplicationFactory&lt;Program&gt;</c>.</summary>
public partial class Program;
