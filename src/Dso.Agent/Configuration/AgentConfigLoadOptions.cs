namespace Dso.Agent.Configuration;

/// <summary>What the loader needs besides the file: the environment for ${VAR} expansion and the places that decide a file's mode.</summary>
internal sealed record AgentConfigLoadOptions
{
    public required Func<string, string?> Environment { get; init; }

    /// <summary>
    /// When true (the agent), a credential that refers to an unset variable is an error. When false (setup
    /// commands, which do not run with the agent's environment), the variable is listed in
    /// <see cref="AgentConfig.UnsetVariables"/> instead.
    /// </summary>
    public bool RequireVariables { get; init; } = true;

    /// <summary>The directory of the system-wide config (DSO_ETC_DIR, default /etc/dso); a local-mode file there is an error.</summary>
    public string EtcDirectory { get; init; } = AgentPaths.DefaultEtcDirectory;

    /// <summary>Local mode's own config (~/.dso/dso.yaml); an agent-mode file there is an error.</summary>
    public string? LocalModeConfigPath { get; init; }
}
