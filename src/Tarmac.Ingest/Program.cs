using Tarmac.GoogleCloud;
using Tarmac.Ingest;
using Tarmac.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddTarmacDefaults(TarmacHosting.CloudRun);
builder.AddGoogleCloudBackend().AddGoogleCloudSignedUploads();
builder.Services.AddIngest();

var app = builder.Build();
app.MapTarmacDefaults();
app.MapIngest();
app.Run();

// Internal: only the all-in-one host (Tarmac.Local) exposes its Program to the functional tests.
internal partial class Program;
