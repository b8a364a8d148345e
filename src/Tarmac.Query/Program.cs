using Tarmac.GoogleCloud;
using Tarmac.Query;
using Tarmac.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddTarmacDefaults(TarmacHosting.CloudRun);
builder.AddGoogleCloudBackend();
builder.Services.AddQuery();

var app = builder.Build();
app.MapTarmacDefaults();
app.MapQuery();
app.Run();

// Internal: only the all-in-one host (Tarmac.Local) exposes its Program to the functional tests.
internal partial class Program;
