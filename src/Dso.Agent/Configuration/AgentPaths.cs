namespace Dso.Agent.Configuration;

/// <summary>
/// Where agent mode keeps its files. Each comes from an environment override, else from dso.yaml where it has a
/// key, else from the default: DSO_ETC_DIR (/etc/dso), DSO_STATE_DIR (agent.state.directory,
/// /var/lib/dso/state), DSO_LOCK_DIR (agent.locks.directory, /var/lib/dso/locks), DSO_SOCKET (agent.socket,
/// /run/dso/dso.sock), DSO_SYSTEMD_DIR (/etc/systemd/system) and DSO_GROUP (the group name, dso).
/// </summary>
internal sealed record AgentPaths
{
    public const string DefaultEtcDirectory = "/etc/dso";

    public const string DefaultSystemdDirectory = "/etc/systemd/system";

    public const string DefaultGroup = "dso";

    public const string ConfigFileName = "dso.yaml";

    public const string UnitFileName = "dso-agent.service";

    /// <summary>Optional KEY=VALUE file that systemd loads into the agent's environment, for ${VAR} credentials.</summary>
    public const string EnvironmentFileName = "agent.env";

    public required string EtcDirectory { get; init; }

    public required string StateDirectory { get; init; }

    public required string LockDirectory { get; init; }

    public required string SocketPath { get; init; }

    public required string SystemdDirectory { get; init; }

    public required string Group { get; init; }

    public string ConfigPath => Path.Combine(EtcDirectory, ConfigFileName);

    public string EnvironmentFilePath => Path.Combine(EtcDirectory, EnvironmentFileName);

    public string UnitPath => Path.Combine(SystemdDirectory, UnitFileName);

    public bool IsDefaultEtcDirectory => EtcDirectory == DefaultEtcDirectory;

    /// <summary>Resolves every path from the environment, then <paramref name="settings"/> (a loaded dso.yaml), then the defaults.</summary>
    public static AgentPaths Resolve(Func<string, string?> environment, AgentSettings? settings = null)
    {
        settings ??= AgentSettings.Default;
        return new AgentPaths
        {
            EtcDirectory = FullPath(environment("DSO_ETC_DIR")) ?? DefaultEtcDirectory,
            StateDirectory = FullPath(environment("DSO_STATE_DIR")) ?? settings.StateDirectory,
            LockDirectory = FullPath(environment("DSO_LOCK_DIR")) ?? settings.LockDirectory,
            SocketPath = FullPath(environment("DSO_SOCKET")) ?? settings.SocketPath,
            SystemdDirectory = FullPath(environment("DSO_SYSTEMD_DIR")) ?? DefaultSystemdDirectory,
            Group = environment("DSO_GROUP") is { Length: > 0 } group ? group : DefaultGroup,
        };
    }

    private static string? FullPath(string? value) =>
        string.IsNullOrEmpty(value) ? null : Path.TrimEndingDirectorySeparator(Path.GetFullPath(value));
}
