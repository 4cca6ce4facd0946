namespace Dso.Compose.Yaml;

/// <summary>A mapping entry as Compose sees it after merge keys. <see cref="FromMerge"/> is true when a merged mapping supplied it.</summary>
internal sealed record YamlMergedEntry(string Key, YamlSourceEntry Entry, bool FromMerge);
