using System.Text.Json;
using System.Text.Json.Serialization;
using Tarmac.Core.Uploads;
using Tarmac.Core.Validation;

namespace Tarmac.GoogleCloud.State;

/// <summary>
/// One upload's state document, <c>state/uploads/&lt;id&gt;.json</c>: its record, and once its rows are validated and
/// staged, the outcome they will have when a flush loads them.
/// </summary>
public sealed record UploadState(UploadRecord Upload, StagedLoad? Staged)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>The document's bytes.</summary>
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>Reads a document written by <see cref="ToJson"/>.</summary>
    public static UploadState FromJson(byte[] data) =>
        JsonSerializer.Deserialize<UploadState>(data, Json) ?? throw new JsonException("empty upload state");

    internal static JsonSerializerOptions SerializerOptions => Json;
}

/// <summary>
/// Rows staged for a load: the NDJSON object, and the outcome its upload gets when a load job has appended them.
/// </summary>
/// <param name="Object">The staged NDJSON object.</param>
/// <param name="Outcome">Loaded or partially loaded.</param>
/// <param name="RowsLoaded">Rows in the staged object.</param>
/// <param name="RowsRejected">Rows rejected, each explained in <paramref name="Errors"/>.</param>
/// <param name="Errors">The row errors reported.</param>
/// <param name="StartedAt">When validation began: the rows' <c>_loaded_at</c>.</param>
public sealed record StagedLoad(string Object, UploadStatus Outcome, long RowsLoaded, long RowsRejected, IReadOnlyList<RowError> Errors, DateTimeOffset StartedAt);
