using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Tarmac.CloudSimulation.StandIn;

/// <summary>An object in the stand-in's buckets.</summary>
public sealed record StoredBlob(string Bucket, string Name, long Generation, long Metageneration, byte[] Data,
    IReadOnlyDictionary<string, string> Metadata, string ContentType, DateTimeOffset Created)
{
    public string Text => Encoding.UTF8.GetString(Data);

    /// <summary>The object resource of the JSON API (also the <c>JSON_API_V1</c> notification payload).</summary>
    public JsonObject Resource()
    {
        var md = new JsonObject();
        foreach (var (k, v) in Metadata) md[k] = v;
        var time = Created.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
        return new JsonObject
        {
            ["kind"] = "storage#object",
            ["id"] = $"{Bucket}/{Name}/{Generation}",
            ["selfLink"] = $"https://www.googleapis.com/storage/v1/b/{Bucket}/o/{Uri.EscapeDataString(Name)}",
            ["name"] = Name,
            ["bucket"] = Bucket,
            ["generation"] = Generation.ToString(CultureInfo.InvariantCulture),
            ["metageneration"] = Metageneration.ToString(CultureInfo.InvariantCulture),
            ["contentType"] = ContentType,
            ["timeCreated"] = time,
            ["updated"] = time,
            ["storageClass"] = "STANDARD",
            ["size"] = Data.Length.ToString(CultureInfo.InvariantCulture),
            ["md5Hash"] = Convert.ToBase64String(System.Security.Cryptography.MD5.HashData(Data)),
            ["crc32c"] = Convert.ToBase64String(Crc32C(Data)),
            ["metadata"] = md,
        };
    }

    /// <summary>CRC32C (Castagnoli), big-endian, as the JSON API reports it; the client library checks downloads against it.</summary>
    private static byte[] Crc32C(byte[] data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++) crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F63B78 : crc >> 1;
        }
        crc ^= 0xFFFFFFFF;
        return [(byte)(crc >> 24), (byte)(crc >> 16), (byte)(crc >> 8), (byte)crc];
    }
}
