namespace Tarmac.Core.Datasets;

/// <summary>One column of a dataset, as declared in its BigQuery-format schema file.</summary>
/// <param name="Name">Column name; also the CSV header name.</param>
/// <param name="Type">Value type.</param>
/// <param name="Required">True for mode REQUIRED: an empty field rejects the row.</param>
/// <param name="Ordinal">Position in the schema file (0-based).</param>
/// <param name="Description">Optional description from the schema file.</param>
public sealed record ColumnSchema(string Name, ColumnType Type, bool Required, int Ordinal, string? Description = null);
