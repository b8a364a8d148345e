namespace Tarmac.Core.Datasets;

/// <summary>
/// The columns every dataset table carries after its schema's own (Terraform adds the same to BigQuery): which upload
/// and file line a row came from, and when it was loaded. Together they are the stable tie-breaker of every sort.
/// </summary>
public static class SystemColumns
{
    /// <summary>The upload that loaded the row.</summary>
    public const string UploadId = "_upload_id";

    /// <summary>The file line the row starts on (the header is line 1).</summary>
    public const string Line = "_line";

    /// <summary>When the load that added the row committed (UTC); what paging snapshots compare against.</summary>
    public const string LoadedAt = "_loaded_at";

    /// <summary>All three, in table order.</summary>
    public static readonly IReadOnlyList<string> All = [UploadId, Line, LoadedAt];
}
