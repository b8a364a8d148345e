using Tarmac.Process;
using Tarmac.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddTarmacDefaults(loopbackOnly: false);
builder.Services.AddProcess();

var app = builder.Build();
app.MapTarmacDefaults();
app.MapProcess();
app.Run();

// Internal: only the all-in-one host (Tarmac.Local) exposes its Program to the functional tests.
internal partial class Program;
