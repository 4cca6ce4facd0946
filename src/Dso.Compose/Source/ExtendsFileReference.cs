using Dso.Compose.Yaml;

namespace Dso.Compose.Source;

/// <summary>An extends: file: value, which must point at the migrated copy when that file is rewritten too.</summary>
internal sealed record ExtendsFileReference(YamlSourceDocument Document, YamlSourceScalar FileNode, string TargetPath);
