using Dso.Agent.Configuration;
using Dso.Agent.Providers;
using Dso.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dso.Cli.Commands.Providers;

/// <summary>
/// The agent-mode dso.yaml for commands that call providers (dso provider check, dso fetch): found as the agent
/// finds it, and loaded with credentials expanded, since these commands authenticate as the agent does.
/// </summary>
internal static class AgentConfigFile
{
    public static AgentConfig Load(CliContext context)
    {
        AgentPaths paths = AgentPaths.Resolve(context.Environment);
        AgentConfigLocation location = AgentConfigDiscovery.Find(context.ConfigOption, context.Environment, paths, context.WorkingDirectory);
        if (location.Warning is not null)
        {
            context.Warn(location.Warning);
        }

        var options = new AgentConfigLoadOptions
        {
            Environment = context.Environment,
            RequireVariables = true,
            EtcDirectory = paths.EtcDirectory,
            LocalModeConfigPath = context.Paths.LocalConfigPath,
        };
        return AgentConfigLoader.Load(location.Path, options);
    }

    /// <summary>The context providers are built with: the CLI's clock and environment, and no logging.</summary>
    public static ProviderContext ProviderContext(CliContext context) =>
        new(context.Time, NullLoggerFactory.Instance, context.Environment);

    public static string TypeName(ProviderConfig provider) =>
        (int)provider.Type is var index && index >= 0 && index < AgentConfigKeys.ProviderTypes.Count
            ? AgentConfigKeys.ProviderTypes[index]
            : provider.Type.ToString().ToLowerInvariant();

    /// <summary>Describes an exception that is not a <see cref="ProviderException"/> without its message, which could quote a value.</summary>
    public static string Unexpected(string provider, Exception error) =>
        $"Provider {provider}: failed with an unexpected {error.GetType().Name}; its message is not shown because it could contain a secret value. This is a bug in dso; please report it.";

    public static DsoException UnknownName(string kind, string name, string configPath, IEnumerable<string> known)
    {
        string declared = string.Join(", ", known);
        return new DsoException($"{configPath} has no {kind} named {name}; {(declared.Length == 0 ? "it declares none" : "its " + kind + "s are: " + declared)}.") { ExitCode = 2 };
    }
}
