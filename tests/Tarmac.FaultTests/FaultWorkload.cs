using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Tarmac.FaultTests;

/// <summary>
/// The files a fault run sends and what each must leave in the warehouse. Every row's id is unique across the run
/// (file number × 1,000,000 + row), so a row found twice, or a row of no file sent, is visible.
/// </summary>
internal sealed class FaultWorkload
{
    public const string Dataset = "faults";

    public const string Schema = """
        [{"name":"id","type":"INTEGER","mode":"REQUIRED"},{"name":"file","type":"INTEGER","mode":"REQUIRED"},{"name":"s","type":"STRING"}]
        """;

    private readonly Dictionary<int, SentFile> _files = [];

    /// <summary>A file: its bytes, its data records, and the ids of the rows that must load.</summary>
    public sealed record SentFile(int Number, byte[] Bytes, long Records, IReadOnlyList<long> GoodIds);

    /// <summary>Files acknowledged with a 200, by number, with the upload id the answer named.</summary>
    public Dictionary<int, string> Acknowledged { get; } = [];

    public IReadOnlyDictionary<int, SentFile> Files => _files;

    /// <summary>Makes file <paramref name="number"/>: small (a takeoff or a few), or large (one in <paramref name="largeOneIn"/>); some with one bad row.</summary>
    public SentFile Make(int number, Random rng, int largeOneIn = 10)
    {
        var rows = rng.Next(largeOneIn) == 0 ? 20_000 + rng.Next(20_000) : 1 + rng.Next(20);
        var bad = rng.Next(4) == 0 ? rng.Next(rows) : -1;
        var b = new StringBuilder("id,file,s\n");
        var good = new List<long>(rows);
        for (var i = 0; i < rows; i++)
        {
            if (i == bad) b.Append(CultureInfo.InvariantCulture, $"not-a-number,{number},bad\n");
            var id = number * 1_000_000L + i;
            good.Add(id);
            b.Append(CultureInfo.InvariantCulture, $"{id},{number},row {i} of file {number}\n");
        }
        var file = new SentFile(number, Encoding.UTF8.GetBytes(b.ToString()), rows + (bad >= 0 ? 1 : 0), good);
        _files[number] = file;
        return file;
    }

    /// <summary>
    /// Posts a file; records it as acknowledged when the answer is a 200 (or, with <paramref name="wait"/>, the 202 of a wait
    /// that ended first: the upload is stored and registered all the same). Connection failures (the kill) are expected.
    /// Returns the status code, or null when the connection failed.
    /// </summary>
    public async Task<HttpStatusCode?> PostAsync(HttpClient http, SentFile file, bool wait = false)
    {
        try
        {
            using var content = new ByteArrayContent(file.Bytes);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("text/csv");
            using var response = await http.PostAsync($"/datasets/{Dataset}/upload{(wait ? "?wait=true" : "")}", content);
            if (response.StatusCode != HttpStatusCode.OK && !(wait && response.StatusCode == HttpStatusCode.Accepted)) return response.StatusCode;
            var doc = await response.Content.ReadFromJsonAsync<JsonElement>();
            lock (Acknowledged) Acknowledged[file.Number] = doc.GetProperty("upload_id").GetString()!;
            return response.StatusCode;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            // The host died under the request: not acknowledged, so it may or may not be loaded, but never twice.
            return null;
        }
    }

    /// <summary>Checks every invariant on a running host; returns the failures (empty when all hold).</summary>
    public async Task<List<string>> CheckAsync(HttpClient http)
    {
        var failures = new List<string>();
        foreach (var (number, uploadId) in Acknowledged)
        {
            var doc = await WaitFinalAsync(http, uploadId);
            var status = doc.GetProperty("status").GetString();
            var file = _files[number];
            if (status is not ("loaded" or "partially_loaded"))
                failures.Add($"file {number} (upload {uploadId}) was acknowledged but ended {status}");
            var accounted = doc.GetProperty("rows_loaded").GetInt64() + doc.GetProperty("rows_rejected").GetInt64();
            if (accounted != file.Records) failures.Add($"file {number}: rows_loaded + rows_rejected = {accounted}, the file has {file.Records} records");
        }
        var byFile = new Dictionary<int, List<long>>();
        var seen = new HashSet<long>();
        await foreach (var line in TableLinesAsync(http))
        {
            var parts = line.TrimEnd('\r').Split(',');
            var id = long.Parse(parts[0], CultureInfo.InvariantCulture);
            var number = int.Parse(parts[1], CultureInfo.InvariantCulture);
            if (!seen.Add(id)) failures.Add($"row {id} is in the table twice");
            if (!_files.ContainsKey(number)) failures.Add($"row {id} names file {number}, which was never sent");
            (byFile.TryGetValue(number, out var l) ? l : byFile[number] = []).Add(id);
        }
        foreach (var (number, file) in _files)
        {
            var ids = byFile.GetValueOrDefault(number) ?? [];
            var acknowledged = Acknowledged.ContainsKey(number);
            // An unacknowledged file may be loaded (the host stored it and died before answering), but only whole, once.
            if ((acknowledged || ids.Count > 0) && !ids.Order().SequenceEqual(file.GoodIds))
                failures.Add($"file {number} ({(acknowledged ? "acknowledged" : "not acknowledged")}) has {ids.Count} of its {file.GoodIds.Count} rows in the table");
        }
        return failures;
    }

    /// <summary>Every row of the table as "id,file", walking keyset pages (a long soak loads more than one page holds).</summary>
    private static async IAsyncEnumerable<string> TableLinesAsync(HttpClient http)
    {
        for (Uri? next = new(http.BaseAddress!, $"/datasets/{Dataset}/rows?format=csv&fields=id,file&limit=500000&sort=id"); next is not null;)
        {
            using var response = await http.GetAsync(next);
            response.EnsureSuccessStatusCode();
            var csv = await response.Content.ReadAsStringAsync();
            foreach (var line in csv.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1)) yield return line;
            next = response.Headers.TryGetValues("Link", out var links) && links.FirstOrDefault() is { } link
                ? new Uri(http.BaseAddress!, link[(link.IndexOf('<') + 1)..link.IndexOf('>')])
                : null;
        }
    }

    private static async Task<JsonElement> WaitFinalAsync(HttpClient http, string uploadId)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        while (true)
        {
            var doc = await http.GetFromJsonAsync<JsonElement>($"/uploads/{uploadId}", cts.Token);
            if (doc.GetProperty("status").GetString() != "stored") return doc;
            await Task.Delay(25, cts.Token); // polling a status
        }
    }
}
