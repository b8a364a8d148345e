using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;
using Tarmac.Core.Datasets;

namespace Tarmac.Ingest;

/// <summary>
/// OpenAPI text of the events routes: the request body they read by hand (so no binding describes it), with a record's
/// fields typed from the flights schema, and examples of both media types.
/// </summary>
internal static class EventsDocs
{
    public static Task DescribeBody(OpenApiOperation op, OpenApiOperationTransformerContext context)
    {
        var catalog = context.ApplicationServices.GetService<SchemaCatalog>();
        var record = catalog is not null && catalog.TryGet(IngestEndpoints.DefaultDataset, out var flights) ? RecordSchema(flights) : new OpenApiSchema { Type = JsonSchemaType.Object };
        op.RequestBody = new OpenApiRequestBody
        {
            Required = true,
            Description = "The records (the flights schema is shown; another dataset's fields are its own columns). At most 1 MiB a record.",
            Content = new Dictionary<string, OpenApiMediaType>
            {
                [JsonRequestBody.JsonType] = new()
                {
                    Schema = new OpenApiSchema { OneOf = [record, new OpenApiSchema { Type = JsonSchemaType.Array, Items = record, MinItems = 1 }] },
                    Example = JsonNode.Parse("""{"id": 1, "year": 2013, "month": 1, "day": 1, "carrier": "UA", "origin": "EWR", "dest": "IAH", "time_hour": "2013-01-01T05:00:00Z"}"""),
                },
                [JsonRequestBody.NdjsonType] = new()
                {
                    Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "One JSON object (a record as in application/json) per line; blank lines are skipped." },
                    Example = JsonValue.Create("{\"id\": 1, \"year\": 2013, \"month\": 1, \"day\": 1}\n{\"id\": 2, \"year\": 2013, \"month\": 1, \"day\": 1}\n"),
                },
            },
        };
        return Task.CompletedTask;
    }

    private static OpenApiSchema RecordSchema(DatasetSchema dataset)
    {
        var schema = new OpenApiSchema
        {
            Type = JsonSchemaType.Object,
            AdditionalPropertiesAllowed = false,
            Properties = new Dictionary<string, IOpenApiSchema>(StringComparer.Ordinal),
            Required = new HashSet<string>(dataset.Columns.Where(c => c.Required).Select(c => c.Name), StringComparer.Ordinal),
        };
        foreach (var c in dataset.Columns) schema.Properties[c.Name] = ColumnSchemaOf(c);
        return schema;
    }

    private static OpenApiSchema ColumnSchemaOf(ColumnSchema c)
    {
        var nullable = c.Required ? 0 : JsonSchemaType.Null;
        var (type, format) = c.Type switch
        {
            ColumnType.Integer => (JsonSchemaType.Integer, "int64"),
            ColumnType.Float => (JsonSchemaType.Number, "double"),
            ColumnType.Numeric => (JsonSchemaType.Number | JsonSchemaType.String, null),
            ColumnType.Boolean => (JsonSchemaType.Boolean, null),
            ColumnType.Date => (JsonSchemaType.String, "date"),
            ColumnType.Timestamp => (JsonSchemaType.String, "date-time"),
            _ => (JsonSchemaType.String, (string?)null),
        };
        return new OpenApiSchema { Type = type | nullable, Format = format, Description = c.Description ?? $"{c.Type.BigQueryName()}, {(c.Required ? "REQUIRED" : "NULLABLE")}" };
    }
}
