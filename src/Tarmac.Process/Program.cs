using Tarmac.GoogleCloud;
using Tarmac.Process;
using Tarmac.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddTarmacDefaults(TarmacHosting.CloudRun);
builder.AddGoogleCloudBackend().AddGoogleCloudPushAuth();
builder.Services.AddProcess().AddPubSubPush();

var app = builder.Build();
app.MapTarmacDefaults();
app.MapPubSubPush();
app.MapScheduledRuns();
app.Run();

// Internal: only the all-in-one host (Tarmac.Local) exposes its Program to the functional tests.
internal partial class Program;
