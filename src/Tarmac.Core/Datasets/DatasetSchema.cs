using System.Collections.Frozen;

namespace Tarmac.Core.Datasets;

/// <summary>
/// A dataset: a name (the schema file's name), its columns, and its loading options.
/// </summary>
public sealed class DatasetSchema
{
    private readonly FrozenDictionary<string, ColumnSchema> _byName;

    public DatasetSchema(string name, IReadOnlyList<ColumnSchema> columns, DatasetOptions? options = null)
    {
        Name = name;
        Columns = columns;
        Options = options ?? DatasetOptions.Default;
        _byName = columns.ToFrozenDictionary(c => c.Name, StringComparer.Ordinal);
    }

    /// <summary>Dataset name, e.g. <c>flights</c>; also the warehouse table name.</summary>
    public string Name { get; }

    /// <summary>Columns in schema-file order.</summary>
    public IReadOnlyList<ColumnSchema> Columns { get; }

    /// <summary>Loading options from the optional <c>&lt;name&gt;.options.json</c> sidecar.</summary>
    public DatasetOptions Options { get; }

    /// <summary>Looks a column up by its exact (case-sensitive) name.</summary>
    public bool TryGetColumn(string name, out ColumnSchema column) => _byName.TryGetValue(name, out column!);

    /// <summary>Comma-separated column names, for error messages that list what is allowed.</summary>
    public string ColumnList => string.Join(", ", Columns.Select(c => c.Name));
}

/// <summary>Per-dataset options, read from <c>schemas/&lt;name&gt;.options.json</c> when present.</summary>
/// <param name="AllOrNothing">When true, one bad row rejects the whole upload.</param>
/// <param name="PartitionColumn">Timestamp or date column the warehouse partitions by (BigQuery).</param>
/// <param name="ClusterColumns">Columns the warehouse clusters by (BigQuery).</param>
public sealed record DatasetOptions(bool AllOrNothing = false, string? PartitionColumn = null, IReadOnlyList<string>? ClusterColumns = null)
{
    public static readonly DatasetOptions Default = new();
}
