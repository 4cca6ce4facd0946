using Dso.Core;
using Dso.Core.Paths;

namespace Dso.Cli.Config;

/// <summary>
/// Finds the local-mode dso.yaml: --config, then DSO_CONFIG, then ./dso.yaml, then ~/.dso/dso.yaml.
/// A missing file is fine in local mode, where every setting has a default.
/// </summary>
internal static class ConfigDiscovery
{
    public const string WorkingDirectorySource = "the current directory";

    public static ConfigLocation Find(string? configOption, Func<string, string?> environment, DsoPaths paths, string workingDirectory)
    {
        if (!string.IsNullOrEmpty(configOption))
        {
            return Explicit(Path.GetFullPath(configOption, workingDirectory), "--config");
        }

        if (environment("DSO_CONFIG") is { Length: > 0 } fromEnvironment)
        {
            return Explicit(Path.GetFullPath(fromEnvironment, workingDirectory), "DSO_CONFIG");
        }

        string local = Path.Combine(workingDirectory, "dso.yaml");
        if (File.Exists(local))
        {
            return new ConfigLocation(local, WorkingDirectorySource);
        }

        if (File.Exists(paths.LocalConfigPath))
        {
            return new ConfigLocation(paths.LocalConfigPath, "the dso home directory");
        }

        return new ConfigLocation(null, "none found; defaults apply");
    }

    private static ConfigLocation Explicit(string path, string source) =>
        File.Exists(path) ? new ConfigLocation(path, source) : throw new DsoException($"The config file {path} (from {source}) was not found.");
}

/// <summary>The config file in use, or none, and how it was found.</summary>
internal sealed record ConfigLocation(string? Path, string Source);
