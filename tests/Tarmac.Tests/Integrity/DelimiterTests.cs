using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Tarmac.Testing;

namespace Tarmac.Tests.Integrity;

/// <summary>Issue 13, defect 1: the delimiter is fixed by the dataset (its options file), over HTTP from the header check to the rows.</summary>
public class DelimiterTests
{
    [Fact]
    public async Task A_semicolon_dataset_is_checked_and_loaded_with_its_delimiter()
    {
        var schemas = TempDirs.Create("schemas");
        File.WriteAllText(Path.Combine(schemas, "semis.json"), """[{"name":"id","type":"INTEGER","mode":"REQUIRED"},{"name":"label","type":"STRING"}]""");
        File.WriteAllText(Path.Combine(schemas, "semis.options.json"), """{"delimiter": ";"}""");
        File.Copy(Path.Combine(AppContext.BaseDirectory, "schemas", "flights.json"), Path.Combine(schemas, "flights.json"));
        using var host = new TarmacHost(schemaDir: schemas);

        var comma = await host.PostCsvAsync("/datasets/semis/upload", "id,label\n1,a\n");
        Assert.Equal(HttpStatusCode.BadRequest, comma.StatusCode);
        Assert.Contains("unknown column(s): id,label", (await comma.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);

        var ok = await host.PostCsvAsync("/datasets/semis/upload?wait=true", "label;id\na,b;1\n\"c;d\";2\nx;y\n");
        var doc = await ok.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(("partially_loaded", 2L, 1L), (doc.GetProperty("status").GetString(), doc.GetProperty("rows_loaded").GetInt64(), doc.GetProperty("rows_rejected").GetInt64()));
        var rows = await host.Http.GetFromJsonAsync<JsonElement>("/datasets/semis/rows?sort=id&fields=id,label");
        Assert.Equal(["1:a,b", "2:c;d"], rows.EnumerateArray().Select(r => $"{r.GetProperty("id").GetInt64()}:{r.GetProperty("label").GetString()}"));
    }
}
