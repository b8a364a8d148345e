using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tarmac.Core.Datasets;

namespace Tarmac.Core.Query;

/// <summary>
/// Opaque keyset cursors: base64url of a small JSON document (snapshot, last row's sort-key values and tie-breaker),
/// then a dot and an HMAC under the server's <see cref="CursorKey"/> binding it to the normalized query. A cursor edited
/// by hand, forged, cut short, or replayed on another query fails the MAC and is refused; its values are parsed with the
/// sort columns' types all the same.
/// </summary>
public static class Cursor
{
    private const int Version = 1;

    /// <summary>The cursor of the page that starts after <paramref name="position"/>.</summary>
    public static string Encode(RowsRequest request, DateTimeOffset? snapshot, KeysetPosition position, CursorKey key)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartArray();
            w.WriteNumberValue(Version);
            if (snapshot is null) w.WriteNullValue(); else w.WriteNumberValue(snapshot.Value.UtcTicks);
            w.WriteStartArray();
            foreach (var v in position.SortValues)
            {
                if (v is null) w.WriteNullValue(); else w.WriteStringValue(v is DateTimeOffset t ? t.UtcTicks.ToString(CultureInfo.InvariantCulture) : QueryGrammar.Canonical(v));
            }
            w.WriteEndArray();
            w.WriteStringValue(position.UploadId);
            w.WriteNumberValue(position.Line);
            w.WriteEndArray();
        }
        var payload = buffer.ToArray();
        return Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(Digest(key, request.Normalized, payload));
    }

    /// <summary>Reads a cursor back for <paramref name="request"/>.</summary>
    /// <exception cref="BadQueryParameterException">The cursor is garbled, forged, tampered with, or from another query.</exception>
    public static (DateTimeOffset? Snapshot, KeysetPosition Position) Decode(RowsRequest request, string cursor, CursorKey key)
    {
        var dot = cursor.IndexOf('.', StringComparison.Ordinal);
        byte[] payload, digest;
        try
        {
            if (dot < 0) throw new FormatException();
            payload = Base64Url.DecodeFromChars(cursor.AsSpan(0, dot));
            digest = Base64Url.DecodeFromChars(cursor.AsSpan(dot + 1));
        }
        catch (FormatException)
        {
            throw Bad("is not a cursor Tarmac wrote");
        }
        if (!CryptographicOperations.FixedTimeEquals(digest, Digest(key, request.Normalized, payload)))
            throw Bad("does not belong to this query (cursors are bound to the dataset, fields, filters and sort of the query that produced them)");
        try
        {
            var doc = JsonDocument.Parse(payload).RootElement;
            if (doc.GetArrayLength() != 5 || doc[0].GetInt32() != Version) throw Bad("has an unknown layout");
            DateTimeOffset? snapshot = doc[1].ValueKind == JsonValueKind.Null ? null : new DateTimeOffset(doc[1].GetInt64(), TimeSpan.Zero);
            var keys = doc[2];
            if (keys.GetArrayLength() != request.Sort.Count) throw Bad("has the wrong number of sort keys");
            var values = new object?[request.Sort.Count];
            for (var i = 0; i < values.Length; i++)
                values[i] = keys[i].ValueKind == JsonValueKind.Null ? null : ParseKey(request.Sort[i].Column, keys[i].GetString()!);
            var uploadId = doc[3].GetString() ?? throw Bad("has no upload id");
            return (snapshot, new KeysetPosition(values, uploadId, doc[4].GetInt64()));
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or OverflowException or ArgumentException)
        {
            throw Bad("is garbled");
        }
    }

    private static object ParseKey(ColumnSchema column, string text)
    {
        if (column.Type == ColumnType.Timestamp) return new DateTimeOffset(long.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture), TimeSpan.Zero);
        if (column.Type == ColumnType.String) return text;
        return QueryGrammar.TryParseValue(column, text, out _) ?? throw new FormatException();
    }

    private static byte[] Digest(CursorKey key, string normalized, byte[] payload)
    {
        // Integrity, not secrecy: the payload is readable, but only the server can make a cursor it accepts.
        var data = new byte[Encoding.UTF8.GetByteCount(normalized) + 1 + payload.Length];
        var n = Encoding.UTF8.GetBytes(normalized, data);
        data[n] = (byte)'\n';
        payload.CopyTo(data, n + 1);
        return key.Sign(data);
    }

    private static BadQueryParameterException Bad(string why) =>
        new("cursor", $"The cursor {why}. Pass the cursor exactly as given in the previous page's Link header, with the same filters, fields and sort; or leave it out to start over.");
}
