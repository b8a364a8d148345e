using System.Threading.Channels;

namespace Tarmac.GoogleCloud.State;

/// <summary>
/// Uploads whose rows are staged and wait for a load job: a marker <c>state/pending/&lt;dataset&gt;/&lt;id&gt;</c> per upload
/// (listing is strongly consistent, https://cloud.google.com/storage/docs/consistency), and an in-process signal that
/// tells this instance's flush timer that a dataset has new work.
/// </summary>
public sealed class PendingLoads(GcsStateObjects state)
{
    /// <summary>Prefix of the markers.</summary>
    public const string Prefix = "state/pending/";

    private static readonly byte[] Marker = "{}"u8.ToArray();
    private readonly Channel<string> _signals = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Datasets that got staged work on this instance, in order; the flush timer reads them.</summary>
    public ChannelReader<string> Signals => _signals.Reader;

    /// <summary>Marks an upload as waiting for its load (idempotent).</summary>
    public Task MarkAsync(string dataset, string uploadId, CancellationToken ct) => state.CreateAsync(Name(dataset, uploadId), Marker, ct);

    /// <summary>Removes the marker of an upload whose load is done.</summary>
    public Task ClearAsync(string dataset, string uploadId, CancellationToken ct) => state.DeleteAsync(Name(dataset, uploadId), null, ct);

    /// <summary>Up to <paramref name="max"/> upload ids waiting in <paramref name="dataset"/>, oldest marker first.</summary>
    public async Task<IReadOnlyList<string>> ListAsync(string dataset, int max, CancellationToken ct)
    {
        var prefix = $"{Prefix}{dataset}/";
        var found = new List<(string Id, DateTimeOffset Created)>();
        await foreach (var (name, created) in state.ListAsync(prefix, ct)) found.Add((name[prefix.Length..], created));
        return found.OrderBy(f => f.Created).ThenBy(f => f.Id, StringComparer.Ordinal).Take(max).Select(f => f.Id).ToList();
    }

    /// <summary>Tells this instance's flush timer that <paramref name="dataset"/> has new staged work.</summary>
    public void Signal(string dataset) => _signals.Writer.TryWrite(dataset);

    private static string Name(string dataset, string uploadId) => $"{Prefix}{dataset}/{uploadId}";
}
