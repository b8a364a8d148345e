using Tarmac.Process;
using Tarmac.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddTarmacDefaults(loopbackOnly: false);
builder.Services.AddProcess();

var app = builder.Build();
app.MapTarmacDefaults();
app.MapProcess();
app.Run();
