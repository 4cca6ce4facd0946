using Dso.Core;

namespace Dso.Agent.Configuration;

/// <summary>
/// Finds the agent-mode dso.yaml: --config, then DSO_CONFIG, then DSO_ETC_DIR/dso.yaml (/etc/dso/dso.yaml),
/// then ./dso.yaml with a warning. Unlike local mode, agent mode has no defaults for a missing file: the
/// providers and secrets must come from somewhere.
/// </summary>
internal static class AgentConfigDiscovery
{
    public static AgentConfigLocation Find(string? configOption, Func<string, string?> environment, AgentPaths paths, string workingDirectory)
    {
        if (!string.IsNullOrEmpty(configOption))
        {
            return Explicit(Path.GetFullPath(configOption, workingDirectory), "--config");
        }

        if (environment("DSO_CONFIG") is { Length: > 0 } fromEnvironment)
        {
            return Explicit(Path.GetFullPath(fromEnvironment, workingDirectory), "DSO_CONFIG");
        }

        if (File.Exists(paths.ConfigPath))
        {
            return new AgentConfigLocation(paths.ConfigPath, "the system-wide config");
        }

        string local = Path.Combine(workingDirectory, AgentPaths.ConfigFileName);
        if (File.Exists(local))
        {
            return new AgentConfigLocation(
                local,
                "the current directory",
                $"using {local} from the current directory, which is not recommended for the agent: move it to {paths.ConfigPath} (0660 root:{paths.Group}), where the agent finds it wherever it starts.");
        }

        throw new DsoException(
            $"No agent-mode config was found: looked for {paths.ConfigPath} and {local}. " +
            "Run 'dso bootstrap agent' to create one, or name one with --config or DSO_CONFIG.");
    }

    private static AgentConfigLocation Explicit(string path, string source) =>
        File.Exists(path)
            ? new AgentConfigLocation(path, source)
            : throw new DsoException($"The config file {path} (from {source}) was not found.");
}
