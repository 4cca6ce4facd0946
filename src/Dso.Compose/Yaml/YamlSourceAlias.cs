namespace Dso.Compose.Yaml;

/// <summary>An alias (*name) with its own position. <see cref="Target"/> is the anchored node it refers to.</summary>
internal sealed class YamlSourceAlias : YamlSourceNode
{
    public required string Name { get; init; }

    public required YamlSourceNode Target { get; init; }
}
