using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Tarmac.Core.Ports;

namespace Tarmac.GoogleCloud.Tests;

/// <summary>Each function started alone on the Google Cloud backend, as Cloud Run runs it, against the fake.</summary>
public sealed class FunctionHostTests : IAsyncLifetime
{
    private readonly FakeGoogleCloud _fake = new();

    public Task InitializeAsync() => Task.CompletedTask;
    public async Task DisposeAsync() => await _fake.DisposeAsync();

    [Fact]
    public async Task Ingest_stores_a_direct_upload_in_the_bucket_and_the_ledger_and_answers_its_status_at_once()
    {
        await using var ingest = await GcpFunctionHost.StartAsync(CloudFunction.Ingest, GcpFunctionHost.Settings(_fake));
        // BigQuery documents streamed rows as visible only "within a few seconds": here they never are, so a status that
        // depended on them would be 404 right after the POST's 200.
        _fake.StreamedRowsVisible = false;

        using var response = await ingest.Http.PostAsync("/upload", new StringContent(SampleData.SeedCsv, Encoding.UTF8, "text/csv"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = body.GetProperty("upload_id").GetString()!;
        var objectName = body.GetProperty("object").GetString()!;
        Assert.Equal("stored", body.GetProperty("status").GetString());
        Assert.Equal(SampleData.SeedCsv, Encoding.UTF8.GetString(_fake.ObjectBytes(GcpFunctionHost.Bucket, objectName)!));
        Assert.Equal(id, _fake.ObjectMetadata(GcpFunctionHost.Bucket, objectName)!["upload_id"]);
        var stored = Assert.Single(_fake.InsertedRows("upload_events"));
        Assert.Equal(id, stored["upload_id"]!.GetValue<string>());

        using var read = await ingest.Http.GetAsync($"/uploads/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var status = await read.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("stored", status.GetProperty("status").GetString());
        Assert.Empty(_fake.RequestsTo("POST", "/queries")); // no BigQuery query on the status path

        using var again = await ingest.Http.PostAsync("/upload", new StringContent(SampleData.SeedCsv, Encoding.UTF8, "text/csv"));
        var dup = await again.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(dup.GetProperty("duplicate").GetBoolean());
        Assert.Equal(id, dup.GetProperty("upload_id").GetString());
    }

    [Fact]
    public async Task Ingest_refuses_a_direct_post_over_30_MiB_pointing_to_POST_uploads()
    {
        await using var ingest = await GcpFunctionHost.StartAsync(CloudFunction.Ingest, GcpFunctionHost.Settings(_fake));
        // Under the front end's 32 MiB, so on Google Cloud this body reaches us and gets our problem, not the front end's bare 413.
        using var content = new ByteArrayContent(new byte[(30 << 20) + 1]);
        content.Headers.ContentType = new("text/csv");

        using var response = await ingest.Http.PostAsync("/upload", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("POST /uploads", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task POST_uploads_returns_a_V4_signed_resumable_upload_url_signed_through_IAM_signBlob()
    {
        await using var ingest = await GcpFunctionHost.StartAsync(CloudFunction.Ingest, GcpFunctionHost.Settings(_fake));

        using var response = await ingest.Http.PostAsJsonAsync("/uploads", new { dataset = "flights", file_name = "big.csv", bytes = 3_000_000_000L });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var ticket = await response.Content.ReadFromJsonAsync<JsonElement>();
        var id = ticket.GetProperty("upload_id").GetString()!;
        var objectName = ticket.GetProperty("object").GetString()!;
        Assert.Matches($"^raw/flights/\\d{{4}}-\\d{{2}}-\\d{{2}}/{id}\\.csv$", objectName);
        Assert.Equal("POST", ticket.GetProperty("method").GetString());
        Assert.Equal($"/uploads/{id}", ticket.GetProperty("status_url").GetString());
        var headers = ticket.GetProperty("headers");
        Assert.Equal("start", headers.GetProperty("x-goog-resumable").GetString());
        Assert.Equal("0", headers.GetProperty("x-goog-if-generation-match").GetString());
        Assert.Equal("text/csv", headers.GetProperty("content-type").GetString());
        Assert.Equal(id, headers.GetProperty("x-goog-meta-upload_id").GetString());
        Assert.Equal("big.csv", headers.GetProperty("x-goog-meta-file_name").GetString());

        var url = new Uri(ticket.GetProperty("upload_url").GetString()!);
        Assert.Equal($"/{GcpFunctionHost.Bucket}/{objectName}", Uri.UnescapeDataString(url.AbsolutePath));
        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        Assert.Equal("GOOG4-RSA-SHA256", query["X-Goog-Algorithm"]);
        Assert.StartsWith("ingest@tarmac-test.iam.gserviceaccount.com/", query["X-Goog-Credential"], StringComparison.Ordinal);
        var signed = query["X-Goog-SignedHeaders"]!.Split(';');
        Assert.Contains("x-goog-resumable", signed);
        Assert.Contains("x-goog-if-generation-match", signed);
        Assert.Contains("content-type", signed);
        Assert.Equal(Convert.ToHexStringLower(Encoding.ASCII.GetBytes("fake-signature")), query["X-Goog-Signature"]);
        var signBlob = Assert.Single(_fake.RequestsTo("POST", "/iam/v1/projects/-/serviceAccounts/ingest@tarmac-test.iam.gserviceaccount.com:signBlob"));
        var payload = Encoding.UTF8.GetString(Convert.FromBase64String(signBlob.Json!["payload"]!.GetValue<string>()));
        Assert.StartsWith("GOOG4-RSA-SHA256\n", payload, StringComparison.Ordinal);
        Assert.True(DateTimeOffset.Parse(ticket.GetProperty("expires_at").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddMinutes(59));
    }

    [Theory]
    [InlineData("{}", "dataset")]
    [InlineData("""{"dataset":"flights","bytes":0}""", "bytes")]
    [InlineData("""{"dataset":"flights","file_name":"caf\u00e9.csv"}""", "file_name")]
    public async Task POST_uploads_refuses_bad_requests_naming_the_field(string json, string parameter)
    {
        await using var ingest = await GcpFunctionHost.StartAsync(CloudFunction.Ingest, GcpFunctionHost.Settings(_fake));
        using var response = await ingest.Http.PostAsync("/uploads", new StringContent(json, Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(parameter, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("parameter").GetString());
        Assert.Empty(_fake.RequestsTo("POST", ":signBlob"));
    }

    [Fact]
    public async Task Query_serves_getdata_from_BigQuery_with_the_snapshot_of_the_latest_load()
    {
        // The latest load committed at 09:00: the table's lastModifiedTime is the snapshot.
        _fake.Rows("flights").Add(new System.Text.Json.Nodes.JsonObject { ["id"] = 1 });
        _fake.TableModified("flights", new DateTimeOffset(2026, 11, 28, 9, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds());
        var values = new Dictionary<string, string?> { ["id"] = "1", ["dep_time"] = "517", ["carrier"] = "UA", ["time_hour"] = "1357016400000000", ["dep_delay"] = "2" };
        _fake.QueryHandler = (sql, _) =>
        {
            var names = sql[7..sql.IndexOf(" FROM ", StringComparison.Ordinal)].Split(", ").Select(n => n.Trim('`')).ToArray();
            if (sql.Contains(" OFFSET @", StringComparison.Ordinal)) return FakeGoogleCloud.Result(names, names.Select(n => n == "_upload_id" ? "u" : n == "_line" ? "2" : values.GetValueOrDefault(n)).ToArray());
            return FakeGoogleCloud.Result(names, names.Select(values.GetValueOrDefault).ToArray());
        };
        await using var query = await GcpFunctionHost.StartAsync(CloudFunction.Query, GcpFunctionHost.Settings(_fake));

        var rows = await query.Http.GetFromJsonAsync<JsonElement>("/getdata?carrier=UA");

        var row = Assert.Single(rows.EnumerateArray());
        Assert.Equal(517, row.GetProperty("dep_time").GetInt64());
        Assert.Equal("UA", row.GetProperty("carrier").GetString());
        Assert.Equal("2013-01-01T05:00:00Z", row.GetProperty("time_hour").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("arr_time").ValueKind);
        var sent = _fake.RequestsTo("POST", "/queries").Select(r => r.Json!).Last(j => !j["query"]!.GetValue<string>().Contains("OFFSET", StringComparison.Ordinal));
        Assert.Contains($"FROM `{GcpFunctionHost.Project}.{GcpFunctionHost.Dataset}.flights` WHERE `_loaded_at` <= @p0 AND `carrier` = @p1", sent["query"]!.GetValue<string>(), StringComparison.Ordinal);
        var ps = sent["queryParameters"]!.AsArray();
        Assert.Equal("TIMESTAMP", ps[0]!["parameterType"]!["type"]!.GetValue<string>());
        Assert.Equal("2026-11-28 09:00:00.000000+00:00", ps[0]!["parameterValue"]!["value"]!.GetValue<string>());
        Assert.Equal("UA", ps[1]!["parameterValue"]!["value"]!.GetValue<string>());
        Assert.DoesNotContain(_fake.RequestsTo("POST", "/queries"), r => r.Json!["query"]!.GetValue<string>().Contains("upload_events", StringComparison.Ordinal));
        using var push = await query.Http.PostAsync("/pubsub/push", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.NotFound, push.StatusCode); // only the process function has the push route
    }

    [Fact]
    public async Task Each_function_registers_the_Google_Cloud_adapters_and_no_DuckDB()
    {
        await using var process = await GcpFunctionHost.StartAsync(CloudFunction.Process, GcpFunctionHost.Settings(_fake));
        Assert.IsType<GcsObjectStore>(process.Service<IObjectStore>());
        Assert.IsType<State.GcsUploadLedger>(process.Service<IUploadLedger>());
        Assert.IsType<BigQuery.BigQueryWarehouseLoader>(process.Service<IWarehouseLoader>());
        // No Cloud Run image carries the embedded backend: no function references it or DuckDB, even indirectly.
        foreach (var function in new[] { typeof(Tarmac.Ingest.UploadService), typeof(Tarmac.Process.UploadProcessor), typeof(Tarmac.Query.QueryEndpoints) })
            Assert.DoesNotContain(function.Assembly.GetReferencedAssemblies(), a => a.Name is "Tarmac.Embedded" or "DuckDB.NET.Data" or "DuckDB.NET.Bindings");
        Assert.DoesNotContain(AppDomain.CurrentDomain.GetAssemblies(), a => a.GetName().Name is "Tarmac.Embedded" or "DuckDB.NET.Data");
        using var health = await process.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var ready = await process.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
    }

    [Theory]
    [InlineData(CloudFunction.Query, "TARMAC_GCP_PROJECT", "TARMAC_GCP_PROJECT")]
    [InlineData(CloudFunction.Query, "TARMAC_BQ_DATASET,TARMAC_RAW_BUCKET", "TARMAC_RAW_BUCKET, TARMAC_BQ_DATASET")]
    [InlineData(CloudFunction.Process, "TARMAC_PUSH_AUDIENCE,TARMAC_PUSH_SERVICE_ACCOUNT", "TARMAC_PUSH_AUDIENCE, TARMAC_PUSH_SERVICE_ACCOUNT")]
    [InlineData(CloudFunction.Ingest, "TARMAC_SIGNER_EMAIL", "TARMAC_SIGNER_EMAIL")]
    public async Task Missing_settings_stop_the_function_at_startup_naming_them(CloudFunction function, string unset, string named)
    {
        var settings = GcpFunctionHost.Settings(_fake);
        foreach (var name in unset.Split(',')) settings[name] = "";
        var e = await Assert.ThrowsAsync<Microsoft.Extensions.Options.OptionsValidationException>(() => GcpFunctionHost.StartAsync(function, settings));
        Assert.EndsWith($"needs these settings, which are not set: {named}.", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Push_auth_off_is_for_emulators_and_needs_no_push_settings()
    {
        var settings = GcpFunctionHost.Settings(_fake);
        settings["TARMAC_PUSH_AUTH"] = "off";
        settings["TARMAC_PUSH_AUDIENCE"] = "";
        settings["TARMAC_PUSH_SERVICE_ACCOUNT"] = "";
        await using var process = await GcpFunctionHost.StartAsync(CloudFunction.Process, settings);
        var id = Guid.CreateVersion7().ToString("N");
        var name = $"raw/flights/2026-11-28/{id}.csv";
        var gen = _fake.PutObject(GcpFunctionHost.Bucket, name, Encoding.UTF8.GetBytes(SampleData.SeedCsv));

        using var response = await process.Http.SendAsync(GcpFunctionHost.PushRequest(null, GcpFunctionHost.Bucket, name, gen));
        using var flush = await process.Http.SendAsync(GcpFunctionHost.ScheduledRun("/flush", null));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, flush.StatusCode);
        Assert.Equal(7, _fake.Rows("flights").Count);
    }
}
