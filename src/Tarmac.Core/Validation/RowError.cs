namespace Tarmac.Core.Validation;

/// <summary>Why one field (or a whole row, when <paramref name="Column"/> is null) was rejected.</summary>
/// <param name="Line">1-based line of the file where the row starts; the header is line 1.</param>
/// <param name="Column">The column at fault, or null for a row-level fault such as a wrong field count.</param>
/// <param name="Value">The offending text (truncated), or null.</param>
/// <param name="Reason">What is wrong and what would be accepted.</param>
public sealed record RowError(long Line, string? Column, string? Value, string Reason);
