namespace Dso.Compose.Yaml;

/// <summary>One key and value of a mapping, as written.</summary>
internal sealed record YamlSourceEntry(YamlSourceNode Key, YamlSourceNode Value);
