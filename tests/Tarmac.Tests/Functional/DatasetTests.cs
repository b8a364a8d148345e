using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tarmac.Testing;

namespace Tarmac.Tests.Functional;

/// <summary>A schema file dropped into the schemas folder is a dataset, with no code change.</summary>
public class DatasetTests
{
    [Fact]
    public async Task A_second_schema_file_is_a_second_dataset_and_options_apply()
    {
        var schemas = TempDirs.Create("schemas");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "schemas", "flights.json"), Path.Combine(schemas, "flights.json"));
        File.WriteAllText(Path.Combine(schemas, "airports.json"), """
            [{"name":"code","type":"STRING","mode":"REQUIRED"},{"name":"opened","type":"DATE"},{"name":"elevation","type":"NUMERIC"},{"name":"hub","type":"BOOLEAN"}]
            """);
        File.WriteAllText(Path.Combine(schemas, "airports.options.json"), """{"all_or_nothing": true}""");
        using var host = new TarmacHost(schemaDir: schemas);

        var ok = await host.PostCsvAsync("/datasets/airports/upload?wait=true", "code,opened,elevation,hub\nEWR,1928-10-01,5.5,true\nJFK,1948-07-01,4,false\n");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var loaded = await ok.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("airports", "loaded", 2L), (loaded.GetProperty("dataset").GetString(), loaded.GetProperty("status").GetString(), loaded.GetProperty("rows_loaded").GetInt64()));

        var one_bad = await (await host.PostCsvAsync("/datasets/airports/upload?wait=true", "code,hub\nLGA,true\nXXX,maybe\n")).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("rejected", 0L, 1L), (one_bad.GetProperty("status").GetString(), one_bad.GetProperty("rows_loaded").GetInt64(), one_bad.GetProperty("rows_rejected").GetInt64()));
        Assert.Equal(3, one_bad.GetProperty("errors")[0].GetProperty("line").GetInt64());

        var flights = await (await host.PostCsvAsync("/upload?wait=true", SampleData.SeedCsv)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("flights", flights.GetProperty("dataset").GetString());
    }
}
