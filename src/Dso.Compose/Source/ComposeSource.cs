using Dso.Compose.Diagnostics;
using Dso.Compose.Env;
using Dso.Compose.Model;
using Dso.Compose.Yaml;

namespace Dso.Compose.Source;

/// <summary>A compose project read for migration and validation: every file's text and tree, and every service's environment.</summary>
internal sealed class ComposeSource
{
    public required ComposeLayout Layout { get; init; }

    /// <summary>The -f files in merge order, then the files reached through extends: file.</summary>
    public required IReadOnlyList<YamlSourceDocument> Documents { get; init; }

    public required IReadOnlyList<ServiceEnvironment> Services { get; init; }

    /// <summary>Every site read, including those a later file or key overrides, each once.</summary>
    public required IReadOnlyList<EnvironmentSite> Sites { get; init; }

    /// <summary>The variables of the interpolation .env files, with their lines and values as written.</summary>
    public required IReadOnlyList<DotEnvVariable> DotEnvVariables { get; init; }

    public required IReadOnlyList<ExtendsFileReference> ExtendsReferences { get; init; }

    public required IReadOnlyList<Finding> Findings { get; init; }

    public bool IsComposeFile(string path) => Layout.Files.Contains(path, StringComparer.Ordinal);
}
