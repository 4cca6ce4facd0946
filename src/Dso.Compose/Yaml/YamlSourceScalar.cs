using YamlDotNet.Core;

namespace Dso.Compose.Yaml;

internal sealed class YamlSourceScalar : YamlSourceNode
{
    public required string Value { get; init; }

    public required ScalarStyle Style { get; init; }

    public string? Tag { get; init; }

    /// <summary>Offset of the scalar itself, after its anchor and tag. Without them it equals <see cref="YamlSourceNode.Start"/>.</summary>
    public required int ValueStart { get; init; }

    /// <summary>True for an empty, ~ or null plain scalar, which YAML reads as null.</summary>
    public bool IsNull => Style == ScalarStyle.Plain && Tag is null && Value is "" or "~" or "null" or "Null" or "NULL";

    public bool IsBlock => Style is ScalarStyle.Literal or ScalarStyle.Folded;
}
