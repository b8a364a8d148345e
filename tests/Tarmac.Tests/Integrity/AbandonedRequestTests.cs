using Tarmac.Core.Ports;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Tarmac.Ingest;
using Tarmac.Testing;

namespace Tarmac.Tests.Integrity;

/// <summary>
/// Issue 13, defect 3: a client that goes away right after the last body byte (its request token is cancelled the moment
/// the body ends) must not leave its upload stored forever, and posting the same bytes again must bring it to its outcome.
/// </summary>
public class AbandonedRequestTests
{
    /// <summary>A request body that cancels the request the moment its last byte has been read, as a hang-up does.</summary>
    private sealed class HangUpAtEnd(byte[] bytes, CancellationTokenSource request) : MemoryStream(bytes)
    {
        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
        {
            var n = await base.ReadAsync(buffer, ct);
            if (n == 0) await request.CancelAsync();
            return n;
        }
    }

    [Fact]
    public async Task An_upload_whose_client_hung_up_after_the_last_byte_is_loaded_and_a_retry_is_not_a_stuck_duplicate()
    {
        using var host = new TarmacHost();
        var csv = SampleData.SeedCsv.Replace("\n0,2013", "\n777,2013", StringComparison.Ordinal);
        using var request = new CancellationTokenSource();
        var uploads = host.Services.GetRequiredService<UploadService>();
        try
        {
            await uploads.AcceptAsync(new IncomingUpload("flights", new HangUpAtEnd(Encoding.UTF8.GetBytes(csv), request), false, null, "text/csv", "test", null), false, request.Token);
        }
        catch (OperationCanceledException)
        {
            // Before the fix the registration or the event was cancelled with the request; the bytes were already stored.
        }

        // The object is durable whatever happened next; its id is in the bucket, since no answer was read.
        var stored = Assert.Single(await host.Services.GetRequiredService<IObjectStore>().ListAsync("raw/flights/", default).ToListAsync());
        var id = Path.GetFileNameWithoutExtension(stored.Name);

        // The client retries the same bytes: the answer is the upload's outcome, not a duplicate stuck in stored.
        var again = await (await host.PostCsvAsync("/upload?wait=true", csv)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal((id, "loaded"), (again.GetProperty("upload_id").GetString(), again.GetProperty("status").GetString()));
        var rows = await host.Http.GetFromJsonAsync<JsonElement>("/getdata?limit=100&id=777");
        Assert.Equal(1, rows.GetArrayLength());
    }
}
