using System.Text.Json.Serialization;

namespace Tarmac.Core.Validation;

/// <summary>Why one field (or a whole row, when <paramref name="Column"/> is null) was rejected.</summary>
/// <param name="Line">1-based line of the file where the row starts; the header is line 1.</param>
/// <param name="Column">The column at fault, or null for a row-level fault such as a wrong field count.</param>
/// <param name="Value">The offending text (truncated), or null.</param>
/// <param name="Reason">What is wrong and what would be accepted.</param>
public sealed record RowError(long Line, string? Column, string? Value, string Reason)
{
    /// <summary>
    /// For a record of a JSON array upload, its 0-based position in the array (what a client that built the array knows it
    /// by); null, and left out of the JSON, for CSV and NDJSON rows, which <see cref="Line"/> alone locates.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Index { get; init; }
}
