using System.Text.Json.Serialization;

namespace Dso.Agent.Journal;

/// <summary>The content of rotations.json: rotation records and, per target, the secret versions last applied.</summary>
internal sealed class JournalDocument
{
    public const int CurrentFormat = 1;

    [JsonPropertyName("format")]
    public int Format { get; set; } = CurrentFormat;

    [JsonPropertyName("rotations")]
    public List<RotationRecord> Rotations { get; set; } = [];

    /// <summary>Target to (secret name to the version and fingerprint) last applied to it.</summary>
    [JsonPropertyName("applied")]
    public SortedDictionary<string, SortedDictionary<string, AppliedSecret>> Applied { get; set; } = new(StringComparer.Ordinal);
}

[JsonSerializable(typeof(JournalDocument))]
[JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class JournalJsonContext : JsonSerializerContext;
