using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Dso.Agent.Configuration;

/// <summary>
/// Loads an agent-mode dso.yaml strictly: an unknown key, a wrong type, an invalid value, a missing required key
/// or a secret naming an unknown provider is an error with file, line, key path and the accepted values. All
/// errors of a file are reported together in one <see cref="AgentConfigException"/>. docs/configuration.md
/// describes every key.
/// </summary>
internal static partial class AgentConfigLoader
{
    public static AgentConfig Load(string path, AgentConfigLoadOptions options)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new AgentConfigException($"The config file {path} was not found.", exception);
        }
        catch (UnauthorizedAccessException exception)
        {
            throw new AgentConfigException($"The config file {path} cannot be read: permission denied. The agent runs as root; other users need to be in the file's group.", exception);
        }

        return Parse(path, text, options);
    }

    /// <summary>Loads <paramref name="text"/> as if it were the content of <paramref name="path"/>.</summary>
    public static AgentConfig Parse(string path, string text, AgentConfigLoadOptions options)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException exception)
        {
            throw new AgentConfigException(path, [$"{path}:{exception.Start.Line}: invalid YAML: {exception.Message}"]);
        }

        var reader = new ConfigReader(path, options);
        if (stream.Documents.Count != 1 || ConfigReader.IsNull(stream.Documents[0].RootNode))
        {
            string problem = stream.Documents.Count > 1
                ? "holds more than one YAML document (a second ---); an agent-mode config is one document."
                : "is empty; an agent-mode config needs at least mode: agent and one entry under providers.";
            throw new AgentConfigException(path, [$"{path}:1: {problem}"]);
        }

        ConfigMapping? root = reader.Mapping(stream.Documents[0].RootNode, "", 1, AgentConfigKeys.Root);
        if (root is null)
        {
            throw new AgentConfigException(path, reader.ErrorsByLine);
        }

        ReadMode(reader, root, path, options);
        IReadOnlyDictionary<string, ProviderConfig> providers = ReadProviders(reader, root);
        IReadOnlyDictionary<string, SecretConfig> secrets = ReadSecrets(reader, root, providers);
        CheckAzureSecretNames(reader, root, providers, secrets);
        AgentSettings agent = ReadAgent(reader, root);

        if (reader.ErrorCount > 0)
        {
            throw new AgentConfigException(path, reader.ErrorsByLine);
        }

        return new AgentConfig
        {
            Path = path,
            Providers = providers,
            Secrets = secrets,
            Agent = agent,
            UnsetVariables = reader.UnsetVariables,
        };
    }

    private static void ReadMode(ConfigReader reader, ConfigMapping root, string path, AgentConfigLoadOptions options)
    {
        if (root["mode"] is not { } node)
        {
            reader.Missing(root, "mode", "write mode: agent as the first line");
            return;
        }

        if (reader.String(node, "mode") is not { } mode)
        {
            return;
        }

        string fullPath = Path.GetFullPath(path);
        bool underEtc = fullPath.StartsWith("/etc/", StringComparison.Ordinal)
            || fullPath.StartsWith(Path.TrimEndingDirectorySeparator(options.EtcDirectory) + "/", StringComparison.Ordinal);
        if (mode == "local" && underEtc)
        {
            reader.Error(node, "mode", $"is \"local\", but {fullPath} is in agent mode's place under /etc. Write mode: agent here, or move a local-mode config to ~/.dso/dso.yaml.");
        }
        else if (mode == "local")
        {
            reader.Error(node, "mode", "is \"local\", but the agent needs an agent-mode config (mode: agent). Point --config or DSO_CONFIG at one, or create it with 'dso bootstrap agent'.");
        }
        else if (mode != "agent")
        {
            reader.Error(node, "mode", $"must be agent (or local, for local mode's own file), not \"{mode}\".");
        }
        else if (options.LocalModeConfigPath is { } localPath && fullPath == Path.GetFullPath(localPath))
        {
            reader.Error(node, "mode", $"is \"agent\", but {fullPath} is local mode's config file. Move an agent-mode config to {Path.Combine(options.EtcDirectory, AgentPaths.ConfigFileName)}.");
        }
    }

    private static AgentSettings ReadAgent(ConfigReader reader, ConfigMapping root)
    {
        var settings = AgentSettings.Default;
        if (root["agent"] is not { } node || reader.Mapping(node, "agent", LineOfKey(root, "agent"), AgentConfigKeys.Agent) is not { } agent)
        {
            return settings;
        }

        foreach ((string key, YamlNode keyNode, YamlNode value) in agent.Entries)
        {
            string keyPath = agent.PathOf(key);
            switch (key)
            {
                case "poll_interval":
                    settings = reader.Duration(value, keyPath, TimeSpan.FromSeconds(1)) is { } poll ? settings with { PollInterval = poll } : settings;
                    break;
                case "state":
                    settings = ReadAgentState(reader, value, keyPath, keyNode.Start.Line, settings);
                    break;
                case "locks":
                    settings = ReadAgentLocks(reader, value, keyPath, keyNode.Start.Line, settings);
                    break;
                case "api":
                    if (reader.Mapping(value, keyPath, keyNode.Start.Line, AgentConfigKeys.AgentApi) is { } api && api["address"] is { } address)
                    {
                        settings = reader.Endpoint(address, api.PathOf("address")) is { } endpoint ? settings with { ApiAddress = endpoint } : settings;
                    }

                    break;
                case "socket":
                    settings = ReadSocket(reader, value, keyPath) is { } socket ? settings with { SocketPath = socket } : settings;
                    break;
            }
        }

        return settings;
    }

    private static AgentSettings ReadAgentState(ConfigReader reader, YamlNode node, string keyPath, long line, AgentSettings settings)
    {
        if (reader.Mapping(node, keyPath, line, AgentConfigKeys.AgentState) is not { } state)
        {
            return settings;
        }

        if (state["directory"] is { } directory && reader.AbsolutePath(directory, state.PathOf("directory")) is { } stateDirectory)
        {
            settings = settings with { StateDirectory = stateDirectory };
        }

        if (state["retention"] is { } retention && reader.Duration(retention, state.PathOf("retention"), TimeSpan.FromMinutes(1)) is { } kept)
        {
            settings = settings with { Retention = kept };
        }

        return settings;
    }

    private static AgentSettings ReadAgentLocks(ConfigReader reader, YamlNode node, string keyPath, long line, AgentSettings settings)
    {
        if (reader.Mapping(node, keyPath, line, AgentConfigKeys.AgentLocks) is not { } locks)
        {
            return settings;
        }

        if (locks["directory"] is { } directory && reader.AbsolutePath(directory, locks.PathOf("directory")) is { } lockDirectory)
        {
            settings = settings with { LockDirectory = lockDirectory };
        }

        if (locks["stale_after"] is { } staleAfter && reader.Duration(staleAfter, locks.PathOf("stale_after"), TimeSpan.FromMinutes(1)) is { } stale)
        {
            settings = settings with { StaleAfter = stale };
        }

        return settings;
    }

    private static string? ReadSocket(ConfigReader reader, YamlNode node, string keyPath)
    {
        // sun_path in struct sockaddr_un holds 108 bytes including the terminating NUL.
        const int MaxSocketPathBytes = 107;
        string? socket = reader.AbsolutePath(node, keyPath);
        if (socket is not null && System.Text.Encoding.UTF8.GetByteCount(socket) > MaxSocketPathBytes)
        {
            reader.Error(node, keyPath, $"is longer than the {MaxSocketPathBytes} bytes a unix socket path may have; choose a shorter path.");
            return null;
        }

        return socket;
    }

    /// <summary>The line of a key of <paramref name="mapping"/>, where problems with its whole value are reported.</summary>
    private static long LineOfKey(ConfigMapping mapping, string key) =>
        mapping.Entries.First(entry => entry.Key == key).KeyNode.Start.Line;

    /// <summary>True for a provider or secret name: letters, digits, '.', '_' and '-', starting with a letter or digit.</summary>
    private static bool IsValidName(string name) =>
        name.Length is > 0 and <= 128
        && char.IsAsciiLetterOrDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}
