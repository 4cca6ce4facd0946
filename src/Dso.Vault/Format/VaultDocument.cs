using System.Text.Json.Serialization;

namespace Dso.Vault.Format;

/// <summary>The decrypted content of a vault: its entries and a revision that grows with every save.</summary>
internal sealed class VaultDocument
{
    [JsonPropertyName("revision")]
    public long Revision { get; set; }

    // Populate fills this ordinal dictionary instead of replacing it with one that uses the default comparer.
    [JsonPropertyName("entries")]
    [JsonObjectCreationHandling(JsonObjectCreationHandling.Populate)]
    public SortedDictionary<string, VaultEntry> Entries { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One secret: its value as raw bytes and its metadata.</summary>
internal sealed class VaultEntry
{
    [JsonPropertyName("value")]
    public required byte[] Value { get; set; }

    [JsonPropertyName("created")]
    public DateTimeOffset Created { get; set; }

    [JsonPropertyName("updated")]
    public DateTimeOffset Updated { get; set; }

    /// <summary>Starts at 1 and grows by one each time the value is set.</summary>
    [JsonPropertyName("version")]
    public long Version { get; set; }

    /// <summary>Hides the value from debuggers and accidental logging.</summary>
    public override string ToString() => $"VaultEntry(version {Version}, {Value.Length} bytes)";
}

[JsonSerializable(typeof(VaultDocument))]
[JsonSerializable(typeof(VaultEntry))]
[JsonSourceGenerationOptions(WriteIndented = false)]
internal sealed partial class VaultJsonContext : JsonSerializerContext;
