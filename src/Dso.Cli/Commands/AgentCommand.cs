using System.CommandLine;
using Dso.Agent.Configuration;
using Dso.Agent.Runtime;

namespace Dso.Cli.Commands;

/// <summary>
/// dso agent: the long-running service of agent mode (systemd unit dso-agent.service). It loads the agent-mode
/// dso.yaml strictly, with every ${VAR} credential set, and runs until stopped.
/// </summary>
internal static class AgentCommand
{
    public static Command Create(CliContext context)
    {
        var logFormat = new Option<string>("--log-format")
        {
            Description = "text (one line per event; journald severity prefixes under systemd) or json (one JSON object per line).",
            DefaultValueFactory = _ => "text",
        };
        logFormat.AcceptOnlyFromAmong("text", "json");
        var agent = new Command("agent", "Run the agent: fetch secrets from the providers in dso.yaml, deliver them to containers and rotate containers when a secret changes.")
        {
            logFormat,
        };
        agent.SetAction((result, cancellationToken) => RunAsync(context, result.GetValue(logFormat) == "json", cancellationToken));
        return agent;
    }

    private static async Task<int> RunAsync(CliContext context, bool jsonLogs, CancellationToken cancellationToken)
    {
        AgentPaths defaults = AgentPaths.Resolve(context.Environment);
        AgentConfigLocation location = AgentConfigDiscovery.Find(context.ConfigOption, context.Environment, defaults, context.WorkingDirectory);
        if (location.Warning is not null)
        {
            context.Warn(location.Warning);
        }

        AgentConfig config = AgentConfigLoader.Load(location.Path, new AgentConfigLoadOptions
        {
            Environment = context.Environment,
            EtcDirectory = defaults.EtcDirectory,
            LocalModeConfigPath = context.Paths.LocalConfigPath,
        });
        var startup = new AgentStartup
        {
            Config = config,
            Paths = AgentPaths.Resolve(context.Environment, config.Agent),
            SecretFileRoot = context.Paths.RuntimeDirectoryOverride ?? context.Paths.ResolveSecretFileRoot(context.Environment),
            AllowDiskBackedSecretFiles = context.Environment("DSO_ALLOW_DISK_SECRETS") == "1",
            Environment = context.Environment,
        };
        return await AgentHost.RunAsync(startup, jsonLogs, cancellationToken);
    }
}
