namespace Dso.Compose.Yaml;

internal sealed class YamlSourceMapping : YamlSourceNode
{
    public required IReadOnlyList<YamlSourceEntry> Entries { get; init; }

    public required bool IsFlow { get; init; }

    /// <summary>Offset of the closing '}' of a flow mapping, or -1 for a block mapping.</summary>
    public required int ClosingIndex { get; init; }
}
