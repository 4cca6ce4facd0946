using Dso.Agent.Configuration;
using Dso.Agent.Journal;
using Dso.Core;

namespace Dso.Cli.Commands;

/// <summary>
/// Where agent mode keeps its journal and locks, and how long it keeps them, for commands that inspect that
/// state: DSO_STATE_DIR and DSO_LOCK_DIR first, then the agent-mode dso.yaml, then the defaults.
/// </summary>
internal sealed record AgentStateSettings(AgentPaths Paths, AgentSettings Settings)
{
    public string JournalPath => System.IO.Path.Combine(Paths.StateDirectory, RotationJournal.FileName);

    /// <summary>
    /// Loads the agent-mode dso.yaml that the agent would use, if there is one. With no config file the defaults
    /// apply. A config named by --config or DSO_CONFIG must exist, and a config that fails to load is an error.
    /// </summary>
    public static AgentStateSettings Resolve(CliContext context)
    {
        AgentPaths defaults = AgentPaths.Resolve(context.Environment);
        bool configNamed = !string.IsNullOrEmpty(context.ConfigOption) || context.Environment("DSO_CONFIG") is { Length: > 0 };
        AgentConfigLocation location;
        try
        {
            location = AgentConfigDiscovery.Find(context.ConfigOption, context.Environment, defaults, context.WorkingDirectory);
        }
        catch (DsoException) when (!configNamed)
        {
            return new AgentStateSettings(defaults, AgentSettings.Default);
        }

        if (location.Warning is not null)
        {
            context.Warn(location.Warning);
        }

        var options = new AgentConfigLoadOptions
        {
            Environment = context.Environment,
            // Credentials are not used here, so a variable set only in the agent's environment is no error.
            RequireVariables = false,
            EtcDirectory = defaults.EtcDirectory,
            LocalModeConfigPath = context.Paths.LocalConfigPath,
        };
        AgentConfig config = AgentConfigLoader.Load(location.Path, options);
        return new AgentStateSettings(AgentPaths.Resolve(context.Environment, config.Agent), config.Agent);
    }
}
