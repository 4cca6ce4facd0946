using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;

namespace Dso.Agent.Providers.HashiCorp;

/// <summary>
/// The version id of a KV version 1 secret, which has no versions: "sha256:" and the lowercase hex SHA-256 of
/// the data in canonical JSON (object keys sorted by ordinal, no whitespace). It is the same for the same data
/// on every host and after a restart, so the journal can compare it with what was applied.
/// </summary>
/// <remarks>
/// NOTE: the hash is not keyed, so anyone who can read the journal can test guesses of a low-entropy value against it.
/// </remarks>
internal static class KvFingerprint
{
    public const string Prefix = "sha256:";

    public static string Compute(ReadOnlyMemory<byte> objectJson)
    {
        using JsonDocument document = JsonDocument.Parse(objectJson);
        var buffer = new ArrayBufferWriter<byte>(objectJson.Length);
        try
        {
            using (var writer = new Utf8JsonWriter(buffer))
            {
                WriteCanonical(document.RootElement, writer);
            }

            return Prefix + Convert.ToHexStringLower(SHA256.HashData(buffer.WrittenSpan));
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
