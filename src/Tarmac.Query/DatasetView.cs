namespace Tarmac.Query;

/// <summary>A dataset as <c>GET /datasets</c> describes it.</summary>
public sealed record DatasetView(string Name, IReadOnlyList<ColumnView> Columns, long Rows, DateTimeOffset? LastLoadedAt, long Version);

/// <summary>A column: name, BigQuery type, mode (REQUIRED or NULLABLE), description.</summary>
public sealed record ColumnView(string Name, string Type, string Mode, string? Description);
