using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using Dso.Agent.Configuration;

namespace Dso.Agent.Providers;

/// <summary>
/// Applies a secret's <c>key</c> or <c>key_path</c> to a fetched value, with the same rules for every provider.
/// </summary>
/// <remarks>
/// <c>key</c> names one top-level key of a JSON object and is always literal, so "tls.crt" is the key named
/// "tls.crt". <c>key_path</c> walks nested objects (and arrays, by decimal index). A selected string becomes
/// its UTF-8 text without quotes, and a number its JSON text exactly as written. True and false become those
/// words. An object or array becomes compact JSON with object keys sorted ordinally at every level, and a
/// null is an error. Errors name the secret, provider and keys, never a value.
/// </remarks>
internal static class SecretValueSelector
{
    private static readonly JsonDocumentOptions ParseOptions = new()
    {
        AllowDuplicateProperties = false,
        MaxDepth = 64,
    };

    // Escapes only what JSON requires (quotes, backslashes, control characters) and writes other characters as UTF-8.
    private static readonly JsonWriterOptions CompactOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Indented = false,
        SkipValidation = false,
    };

    private static readonly byte[] Utf8Bom = [0xEF, 0xBB, 0xBF];

    /// <summary>True when the secret delivers a part of a JSON value rather than the whole value.</summary>
    public static bool SelectsPart(SecretConfig secret) => secret.Key is not null || secret.KeyPath is not null;

    /// <summary>Describes the selection as dso.yaml writes it, such as "key password" or "key_path [db, password]".</summary>
    public static string Describe(SecretConfig secret) =>
        secret.KeyPath is { } path ? $"key_path {FormatKeyPath(path)}" : secret.Key is { } key ? $"key {key}" : "the whole value";

    /// <summary>
    /// Returns the value the secret delivers: the whole value when it selects no key, otherwise the rendered
    /// selection. The caller owns and disposes the result, which shares no array with <paramref name="payload"/>.
    /// </summary>
    /// <exception cref="ProviderException">The value is not JSON, lacks the key, or selects a null.</exception>
    public static SecretPayload Apply(SecretConfig secret, SecretPayload payload)
    {
        if (!SelectsPart(secret))
        {
            return new SecretPayload(payload.VersionId, (byte[])payload.Value.Clone(), payload.IsText);
        }

        var selection = new Selection(secret.Name, secret.Provider, secret.Key, secret.KeyPath);
        if (!payload.IsText)
        {
            throw selection.Error($"the value is binary, so {Describe(secret)} cannot be selected from it. Remove {(secret.Key is null ? "key_path" : "key")} to deliver the whole value, or store the secret as a JSON text.");
        }

        using JsonDocument document = Parse(selection, payload.Value);
        JsonElement selected = secret.Key is { } key ? SelectKey(selection, document.RootElement, key) : SelectPath(selection, document.RootElement, secret.KeyPath!);
        return new SecretPayload(payload.VersionId, Render(selection, selected), isText: true);
    }

    /// <summary>Parses a JSON value, or returns null when the bytes are not JSON. A leading UTF-8 byte order mark is skipped.</summary>
    public static JsonDocument? TryParse(byte[] value)
    {
        try
        {
            return JsonDocument.Parse(WithoutBom(value), ParseOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>
    /// Renders a JSON value as the secret delivers it (see the class remarks). A null renders as null, which
    /// <see cref="Apply"/> reports as an error. The caller owns the array and should clear it.
    /// </summary>
    public static byte[]? RenderValue(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                return UnescapedString(element);
            case JsonValueKind.Number:
            case JsonValueKind.True:
            case JsonValueKind.False:
                return JsonMarshal.GetRawUtf8Value(element).ToArray();
            case JsonValueKind.Object:
            case JsonValueKind.Array:
                return CompactSorted(element);
            default:
                return null;
        }
    }

    /// <summary>Formats key_path segments as dso.yaml's flow list, such as [db, password].</summary>
    public static string FormatKeyPath(IEnumerable<string> segments) => "[" + string.Join(", ", segments) + "]";

    private static JsonDocument Parse(Selection selection, byte[] value)
    {
        try
        {
            return JsonDocument.Parse(WithoutBom(value), ParseOptions);
        }
        catch (JsonException error)
        {
            // JsonException's own message quotes the offending character, which is part of the value, so only
            // its position is repeated, and it is not kept as the inner exception.
            string position = error.LineNumber is { } line && error.BytePositionInLine is { } column
                ? string.Create(CultureInfo.InvariantCulture, $" (invalid at line {line + 1}, byte {column + 1})")
                : "";
            throw selection.Error($"the value is not valid JSON{position}, so {selection.Describe()} cannot be selected from it. Store the secret as a JSON object, or remove {selection.ConfigKey} to deliver the whole value.");
        }
    }

    private static ReadOnlyMemory<byte> WithoutBom(byte[] value) =>
        value.AsSpan().StartsWith(Utf8Bom) ? value.AsMemory(Utf8Bom.Length) : value.AsMemory();

    private static JsonElement SelectKey(Selection selection, JsonElement root, string key)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw selection.Error($"the value is a JSON {KindName(root)}, not an object, so it has no key {key}. Remove key to deliver the whole value.");
        }

        if (root.TryGetProperty(key, out JsonElement value))
        {
            return value;
        }

        string[] segments = key.Split('.');
        if (segments.Length > 1 && segments.All(segment => segment.Length > 0))
        {
            string nested = FormatKeyPath(segments);
            string found = TryWalk(root, segments, out _) ? $"The value has the nested key {nested}" : $"For a nested key, such as {nested}";
            throw selection.Error($"the JSON object has no top-level key \"{key}\"; key is taken literally, so its dots do not separate keys. {found}, write key_path: {nested} instead of key.");
        }

        throw selection.Error($"the JSON object has no top-level key \"{key}\". Its keys are: {KeyList(root)}. Correct key, or check the secret at the provider.");
    }

    private static JsonElement SelectPath(Selection selection, JsonElement root, IReadOnlyList<string> segments)
    {
        JsonElement current = root;
        for (int i = 0; i < segments.Count; i++)
        {
            string where = i == 0 ? "the value" : $"the value at {FormatKeyPath(segments.Take(i))}";
            if (!TryStep(current, segments[i], out JsonElement next))
            {
                string problem = current.ValueKind switch
                {
                    JsonValueKind.Object => $"{where} has no key \"{segments[i]}\" (its keys are: {KeyList(current)})",
                    JsonValueKind.Array => $"{where} is an array of {current.GetArrayLength()} elements, and \"{segments[i]}\" is not an index from 0 to {current.GetArrayLength() - 1}",
                    _ => $"{where} is a JSON {KindName(current)}, which has no key \"{segments[i]}\"",
                };
                throw selection.Error($"{problem}. Correct key_path, or check the secret at the provider.");
            }

            current = next;
        }

        return current;
    }

    private static bool TryWalk(JsonElement root, IReadOnlyList<string> segments, out JsonElement result)
    {
        result = root;
        foreach (string segment in segments)
        {
            if (!TryStep(result, segment, out result))
            {
                return false;
            }
        }

        return true;
    }

    private static bool TryStep(JsonElement current, string segment, out JsonElement next)
    {
        next = default;
        if (current.ValueKind == JsonValueKind.Object)
        {
            return current.TryGetProperty(segment, out next);
        }

        // An index is canonical decimal: "0", "12", never "+1" or "01".
        bool isIndex = current.ValueKind == JsonValueKind.Array
            && segment.Length is > 0 and <= 9
            && segment.All(char.IsAsciiDigit)
            && (segment.Length == 1 || segment[0] != '0');
        if (!isIndex)
        {
            return false;
        }

        int index = int.Parse(segment, NumberStyles.None, CultureInfo.InvariantCulture);
        if (index >= current.GetArrayLength())
        {
            return false;
        }

        next = current[index];
        return true;
    }

    private static byte[] Render(Selection selection, JsonElement element) =>
        RenderValue(element)
        ?? throw selection.Error($"{selection.Describe()} selects a JSON null, which has no text to deliver. Set a value at the provider, or select another key.");

    private static byte[] UnescapedString(JsonElement element)
    {
        // Unescapes through Utf8JsonReader into a byte array, so that the value never becomes a .NET string,
        // which could not be cleared.
        ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(element);
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        byte[] buffer = new byte[raw.Length];
        try
        {
            int length = reader.CopyString(buffer);
            return buffer.AsSpan(0, length).ToArray();
        }
        finally
        {
            CryptographicOperations.ZeroMemory(buffer);
        }
    }

    private static byte[] CompactSorted(JsonElement element)
    {
        var output = new ArrayBufferWriter<byte>(Math.Max(256, JsonMarshal.GetRawUtf8Value(element).Length * 2));
        try
        {
            using (var writer = new Utf8JsonWriter(output, CompactOptions))
            {
                WriteSorted(writer, element);
            }

            return output.WrittenSpan.ToArray();
        }
        finally
        {
            output.Clear();
        }
    }

    private static void WriteSorted(Utf8JsonWriter writer, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                writer.WriteStartObject();
                foreach (JsonProperty property in element.EnumerateObject().OrderBy(property => property.Name, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(property.Name);
                    WriteSorted(writer, property.Value);
                }

                writer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                writer.WriteStartArray();
                foreach (JsonElement item in element.EnumerateArray())
                {
                    WriteSorted(writer, item);
                }

                writer.WriteEndArray();
                break;
            case JsonValueKind.String:
                byte[] text = UnescapedString(element);
                try
                {
                    writer.WriteStringValue(text);
                }
                finally
                {
                    CryptographicOperations.ZeroMemory(text);
                }

                break;
            default:
                // Numbers keep the text the provider stored (1.50 stays 1.50); true, false and null are literals.
                writer.WriteRawValue(JsonMarshal.GetRawUtf8Value(element), skipInputValidation: true);
                break;
        }
    }

    private static string KeyList(JsonElement element)
    {
        const int MaxListed = 20;
        List<string> names = element.EnumerateObject().Select(property => property.Name).ToList();
        if (names.Count == 0)
        {
            return "none, the object is empty";
        }

        string listed = string.Join(", ", names.Take(MaxListed));
        return names.Count > MaxListed ? $"{listed} and {names.Count - MaxListed} more" : listed;
    }

    private static string KindName(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    private readonly record struct Selection(string Secret, string Provider, string? Key, IReadOnlyList<string>? KeyPath)
    {
        public string ConfigKey => Key is null ? "key_path" : "key";

        public string Describe() => KeyPath is { } path ? $"key_path {FormatKeyPath(path)}" : $"key {Key}";

        public ProviderException Error(string problem) =>
            new(Provider, ProviderErrorKind.Invalid, $"Secret {Secret} (provider {Provider}): {problem}");
    }
}
