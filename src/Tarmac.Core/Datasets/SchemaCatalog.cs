using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Tarmac.Core.Datasets;

/// <summary>
/// Every dataset Tarmac serves, one per BigQuery-format schema file (<c>*.json</c>) in the schemas folder.
/// Adding a file adds a dataset; Terraform reads the same files to create the BigQuery tables.
/// </summary>
public sealed partial class SchemaCatalog
{
    /// <summary>The dataset the seed's routes (<c>POST /upload</c>, <c>GET /getdata</c>, <c>GET /stats</c>) read and write.</summary>
    public const string DefaultDataset = "flights";

    private const string OptionsSuffix = ".options.json";
    private readonly FrozenDictionary<string, DatasetSchema> _datasets;

    public SchemaCatalog(IEnumerable<DatasetSchema> datasets) =>
        _datasets = datasets.ToFrozenDictionary(d => d.Name, StringComparer.Ordinal);

    /// <summary>The datasets, by name.</summary>
    public IReadOnlyCollection<DatasetSchema> Datasets => _datasets.Values;

    /// <summary>Finds a dataset by name.</summary>
    public bool TryGet(string name, out DatasetSchema dataset) => _datasets.TryGetValue(name, out dataset!);

    /// <summary>Comma-separated dataset names, for error messages.</summary>
    public string NameList => string.Join(", ", _datasets.Keys.Order(StringComparer.Ordinal));

    /// <summary>Loads every <c>*.json</c> schema file (and its optional <c>*.options.json</c>) from <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">A schema file is malformed; the message names the file and the fault.</exception>
    public static SchemaCatalog Load(string directory)
    {
        if (!Directory.Exists(directory))
            throw new DirectoryNotFoundException($"Schema folder '{directory}' does not exist (set TARMAC_SCHEMAS).");
        var datasets = new List<DatasetSchema>();
        foreach (var file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            if (file.EndsWith(OptionsSuffix, StringComparison.Ordinal)) continue;
            var name = Path.GetFileNameWithoutExtension(file);
            var optionsFile = Path.Combine(directory, name + OptionsSuffix);
            datasets.Add(Parse(name, File.ReadAllText(file), File.Exists(optionsFile) ? File.ReadAllText(optionsFile) : null));
        }
        if (datasets.Count == 0)
            throw new InvalidDataException($"Schema folder '{directory}' holds no *.json schema file.");
        return new SchemaCatalog(datasets);
    }

    /// <summary>Parses one dataset from the text of its schema file and optional options file.</summary>
    public static DatasetSchema Parse(string name, string schemaJson, string? optionsJson = null)
    {
        if (!IdentifierPattern().IsMatch(name))
            throw new InvalidDataException($"Dataset name '{name}' must match {IdentifierPattern()} (it becomes a table name).");
        SchemaField[]? fields;
        try { fields = JsonSerializer.Deserialize(schemaJson, SchemaJsonContext.Default.SchemaFieldArray); }
        catch (JsonException e) { throw new InvalidDataException($"Schema '{name}': not a BigQuery JSON schema array: {e.Message}", e); }
        if (fields is null || fields.Length == 0) throw new InvalidDataException($"Schema '{name}' declares no fields.");

        var columns = new List<ColumnSchema>(fields.Length);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var f in fields)
        {
            if (f.Name is null || !FieldPattern().IsMatch(f.Name) || f.Name.StartsWith('_'))
                throw new InvalidDataException($"Schema '{name}': field name '{f.Name}' must match {FieldPattern()} and not start with '_' (reserved for system columns).");
            if (!seen.Add(f.Name)) throw new InvalidDataException($"Schema '{name}': field '{f.Name}' is declared twice.");
            if (!ColumnTypes.TryParse(f.Type, out var type))
                throw new InvalidDataException($"Schema '{name}': field '{f.Name}' has unsupported type '{f.Type}' (supported: INTEGER, FLOAT, NUMERIC, BOOLEAN, STRING, DATE, TIMESTAMP).");
            var mode = f.Mode?.ToUpperInvariant() ?? "NULLABLE";
            if (mode is not ("NULLABLE" or "REQUIRED"))
                throw new InvalidDataException($"Schema '{name}': field '{f.Name}' has unsupported mode '{f.Mode}' (supported: NULLABLE, REQUIRED).");
            columns.Add(new ColumnSchema(f.Name, type, mode == "REQUIRED", columns.Count, f.Description));
        }

        var options = DatasetOptions.Default;
        if (optionsJson is not null)
        {
            try { options = JsonSerializer.Deserialize(optionsJson, SchemaJsonContext.Default.DatasetOptions) ?? DatasetOptions.Default; }
            catch (JsonException e) { throw new InvalidDataException($"Options of '{name}' are not valid JSON: {e.Message}", e); }
            if (options.DelimiterProblem() is { } problem) throw new InvalidDataException($"Options of '{name}': {problem}.");
        }
        return new DatasetSchema(name, columns, options);
    }

    [GeneratedRegex("^[a-z][a-z0-9_]{0,62}$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,127}$")]
    private static partial Regex FieldPattern();

    internal sealed record SchemaField(string? Name, string? Type, string? Mode, string? Description);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, PropertyNameCaseInsensitive = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(SchemaCatalog.SchemaField[]))]
[JsonSerializable(typeof(DatasetOptions))]
internal sealed partial class SchemaJsonContext : JsonSerializerContext;
