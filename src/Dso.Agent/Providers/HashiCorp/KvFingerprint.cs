using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Dso.Agent.Providers.HashiCorp;

/// <summary>
/// The version id of a KV version 1 secret, which has no versions: the lowercase hex HMAC-SHA256 of the data in
/// canonical JSON (object keys sorted by ordinal, no whitespace) under the agent's fingerprint key, prefixed
/// "hmac-sha256:". It is the same for the same data after a restart, so the journal can compare it with what was
/// applied, and a copied journal does not allow guessing values offline. Without a key (dso provider check,
/// dso fetch) it is a plain SHA-256, prefixed "sha256:", and is only shown, never stored.
/// </summary>
internal static class KvFingerprint
{
    public const string Prefix = "sha256:";

    public const string KeyedPrefix = "hmac-sha256:";

    public static string Compute(ReadOnlyMemory<byte> objectJson, byte[]? key = null)
    {
        using JsonDocument document = JsonDocument.Parse(objectJson);
        var buffer = new ArrayBufferWriter<byte>(objectJson.Length);
        try
        {
            using (var writer = new Utf8JsonWriter(buffer))
            {
                WriteCanonical(document.RootElement, writer);
            }

            return key is null
                ? Prefix + Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan))
                : KeyedPrefix + Convert.ToHexStringLower(HMACSHA256.HashData(key, buffer.WrittenSpan));
        }
        finally
        {
            // ArrayBufferWriter.Clear zeroes the written bytes, which hold the secret's values.
            buffer.Clear();
        }
    }

    private static void WriteCanonical(JsonElement element, Utf8JsonWriter writer)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (JsonProperty property in element.EnumerateObject().OrderBy(property => property.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteCanonical(property.Value, writer);
                }

                writer.WriteEndObject();
                break;

            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (JsonElement item in element.EnumerateArray())
                {
                    WriteCanonical(item, writer);
                }

                writer.WriteEndArray();
                break;

            default:
                // Strings, numbers and literals are copied from the parsed bytes, never decoded to a string.
                element.WriteTo(writer);
                break;
        }
    }
}
