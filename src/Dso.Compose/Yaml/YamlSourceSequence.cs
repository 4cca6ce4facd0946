namespace Dso.Compose.Yaml;

internal sealed class YamlSourceSequence : YamlSourceNode
{
    public required IReadOnlyList<YamlSourceNode> Items { get; init; }

    public required bool IsFlow { get; init; }

    /// <summary>Offset of the closing ']' of a flow sequence, or -1 for a block sequence.</summary>
    public required int ClosingIndex { get; init; }
}
