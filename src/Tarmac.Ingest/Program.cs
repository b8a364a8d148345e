using Tarmac.Ingest;
using Tarmac.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddTarmacDefaults(loopbackOnly: false);
builder.Services.AddIngest();

var app = builder.Build();
app.MapTarmacDefaults();
app.MapIngest();
app.Run();
