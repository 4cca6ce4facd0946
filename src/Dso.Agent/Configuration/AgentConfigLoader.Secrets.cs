using YamlDotNet.RepresentationModel;

namespace Dso.Agent.Configuration;

internal static partial class AgentConfigLoader
{
    private static readonly IReadOnlyList<string> InjectModes = ["file", "env"];

    private static readonly IReadOnlyList<string> Strategies = ["rolling", "restart", "signal", "none"];

    private static readonly string[] FileOnlyInjectKeys = ["path", "uid", "gid", "mode"];

    private static readonly string[] HealthKeys = ["health_timeout", "probe"];

    private static IReadOnlyDictionary<string, SecretConfig> ReadSecrets(ConfigReader reader, ConfigMapping root, IReadOnlyDictionary<string, ProviderConfig> providers)
    {
        var secrets = new Dictionary<string, SecretConfig>(StringComparer.Ordinal);
        if (root["secrets"] is not { } node || reader.Mapping(node, "secrets", LineOfKey(root, "secrets"), accepted: null) is not { } mapping)
        {
            return secrets;
        }

        foreach ((string name, YamlNode keyNode, YamlNode value) in mapping.Entries)
        {
            string keyPath = mapping.PathOf(name);
            if (!IsValidName(name))
            {
                reader.Error(keyNode, keyPath, "is not a valid secret name; use letters, digits, '.', '_' and '-', starting with a letter or digit.");
                continue;
            }

            if (reader.Mapping(value, keyPath, keyNode.Start.Line, AgentConfigKeys.Secret) is { } secret
                && ReadSecret(reader, name, secret, providers, root) is { } config)
            {
                secrets[name] = config;
            }
        }

        return secrets;
    }

    private static SecretConfig? ReadSecret(ConfigReader reader, string name, ConfigMapping secret, IReadOnlyDictionary<string, ProviderConfig> providers, ConfigMapping root)
    {
        string? provider = null;
        if (secret["provider"] is not { } providerNode)
        {
            reader.Missing(secret, "provider", "the name of an entry under providers");
        }
        else if (reader.String(providerNode, secret.PathOf("provider")) is { } providerName)
        {
            // Every name written under providers counts, also one whose entry has errors of its own.
            List<string> declaredNames = root["providers"] is YamlMappingNode declaredProviders
                ? [.. declaredProviders.Children.Keys.OfType<YamlScalarNode>().Select(key => key.Value).OfType<string>()]
                : [];
            if (declaredNames.Contains(providerName, StringComparer.Ordinal))
            {
                provider = providerName;
            }
            else
            {
                string known = declaredNames.Count == 0 ? "none is declared" : "declared: " + string.Join(", ", declaredNames);
                reader.Error(providerNode, secret.PathOf("provider"), $"names the provider \"{providerName}\", which is not under providers ({known}).");
            }
        }

        string? path = null;
        if (secret["path"] is not { } pathNode)
        {
            reader.Missing(secret, "path", "the secret's path or name in the provider, such as myapp/db");
        }
        else
        {
            path = reader.String(pathNode, secret.PathOf("path"));
        }

        int selectionErrors = reader.ErrorCount;
        string? key = secret["key"] is { } keyNode ? reader.String(keyNode, secret.PathOf("key")) : null;
        IReadOnlyList<string>? keyPath = ReadKeyPath(reader, secret);
        if (secret.Contains("key") && secret.Contains("key_path"))
        {
            reader.Error(
                secret.Entries.First(entry => entry.Key == "key_path").KeyNode,
                secret.PathOf("key_path"),
                "cannot be combined with key. Use key for one top-level key taken literally (a dot is part of it), or key_path for a nested key, such as key_path: [db, password].");
        }

        bool selectionValid = reader.ErrorCount == selectionErrors;
        InjectConfig? inject = ReadInject(reader, name, secret);
        TargetsConfig? targets = ReadTargets(reader, secret);
        RotationConfig? rotation = ReadRotation(reader, secret);

        if (provider is null || path is null || !selectionValid || inject is null || targets is null || rotation is null)
        {
            return null;
        }

        return new SecretConfig
        {
            Name = name,
            Provider = provider,
            Path = path,
            Key = key,
            KeyPath = keyPath,
            Inject = inject,
            Targets = targets,
            Rotation = rotation,
        };
    }

    /// <summary>Reads key_path: a non-empty list of non-empty segments.</summary>
    private static IReadOnlyList<string>? ReadKeyPath(ConfigReader reader, ConfigMapping secret)
    {
        if (secret["key_path"] is not { } node)
        {
            return null;
        }

        string keyPath = secret.PathOf("key_path");
        if (node is not YamlSequenceNode)
        {
            reader.Error(node, keyPath, "must be a list of keys from the outermost in, such as [db, password]; for one top-level key use key instead.");
            return null;
        }

        IReadOnlyList<string>? segments = reader.StringList(node, keyPath);
        if (segments is { Count: 0 })
        {
            reader.Error(node, keyPath, "is an empty list; give the keys from the outermost in, such as [db, password], or remove it to use the whole value.");
            return null;
        }

        return segments;
    }

    private static InjectConfig? ReadInject(ConfigReader reader, string name, ConfigMapping secret)
    {
        var defaults = new InjectConfig { FilePath = $"{InjectConfig.DefaultDirectory}/{name}" };
        if (secret["inject"] is not { } node)
        {
            return defaults;
        }

        if (reader.Mapping(node, secret.PathOf("inject"), LineOfKey(secret, "inject"), AgentConfigKeys.Inject) is not { } inject)
        {
            return null;
        }

        int errors = reader.ErrorCount;
        var mode = InjectMode.File;
        if (inject["as"] is { } asNode && reader.Choice(asNode, inject.PathOf("as"), InjectModes) is { } modeIndex)
        {
            mode = modeIndex == 0 ? InjectMode.File : InjectMode.Env;
        }

        string? variable = null;
        if (inject["env"] is { } envNode && reader.String(envNode, inject.PathOf("env")) is { } envName)
        {
            if (IsEnvironmentVariableName(envName))
            {
                variable = envName;
            }
            else
            {
                reader.Error(envNode, inject.PathOf("env"), $"must be an environment variable name (letters, digits and '_', not starting with a digit), not \"{envName}\".");
            }
        }

        if (mode == InjectMode.Env)
        {
            if (!inject.Contains("env"))
            {
                reader.Missing(inject, "env", "as: env needs the variable's name, such as env: DB_PASSWORD");
            }

            foreach (string fileKey in FileOnlyInjectKeys.Where(inject.Contains))
            {
                reader.Error(inject.Entries.First(entry => entry.Key == fileKey).KeyNode, inject.PathOf(fileKey), "applies to as: file only; an environment variable has no path, owner or mode. Remove it, or use as: file.");
            }

            return reader.ErrorCount == errors ? new InjectConfig { As = InjectMode.Env, EnvironmentVariable = variable } : null;
        }

        string filePath = defaults.FilePath!;
        if (inject["path"] is { } pathNode && reader.AbsolutePath(pathNode, inject.PathOf("path")) is { } explicitPath)
        {
            filePath = explicitPath;
        }

        int? uid = inject["uid"] is { } uidNode ? reader.Integer(uidNode, inject.PathOf("uid"), 0, int.MaxValue) : null;
        int? gid = inject["gid"] is { } gidNode ? reader.Integer(gidNode, inject.PathOf("gid"), 0, int.MaxValue) : null;
        UnixFileMode fileMode = InjectConfig.DefaultFileMode;
        if (inject["mode"] is { } modeNode && ReadFileMode(reader, modeNode, inject.PathOf("mode")) is { } parsedMode)
        {
            fileMode = parsedMode;
        }

        return reader.ErrorCount == errors
            ? new InjectConfig { As = InjectMode.File, EnvironmentVariable = variable, FilePath = filePath, Uid = uid, Gid = gid, FileMode = fileMode }
            : null;
    }

    private static UnixFileMode? ReadFileMode(ConfigReader reader, YamlNode node, string keyPath)
    {
        // YAML 1.2 reads 0400 as the decimal 400, so the digits are taken as written and always as octal.
        string text = node is YamlScalarNode { Value: { } value } ? value : "";
        string digits = text.StartsWith("0o", StringComparison.Ordinal) ? text[2..] : text;
        if (digits.Length is >= 3 and <= 4 && digits.All(c => c is >= '0' and <= '7'))
        {
            int mode = Convert.ToInt32(digits, 8);
            if (mode <= 0x1FF && (mode & 0x100) != 0)
            {
                return (UnixFileMode)mode;
            }
        }

        if (node is YamlScalarNode)
        {
            reader.Error(node, keyPath, $"must be an octal file mode from 0400 to 0777 that lets the owner read, such as 0400 or 0440, not \"{text}\".");
        }
        else
        {
            reader.Error(node, keyPath, "must be a single value, not a list or mapping.");
        }

        return null;
    }

    private static TargetsConfig? ReadTargets(ConfigReader reader, ConfigMapping secret)
    {
        if (secret["targets"] is not { } node)
        {
            reader.Missing(secret, "targets", "which containers get the secret: containers, labels or compose");
            return null;
        }

        long line = LineOfKey(secret, "targets");
        if (reader.Mapping(node, secret.PathOf("targets"), line, AgentConfigKeys.Targets) is not { } targets)
        {
            return null;
        }

        int errors = reader.ErrorCount;
        IReadOnlyList<string> containers = targets["containers"] is { } containersNode ? reader.StringList(containersNode, targets.PathOf("containers")) ?? [] : [];
        IReadOnlyDictionary<string, string> labels = targets["labels"] is { } labelsNode
            ? reader.StringMap(labelsNode, targets.PathOf("labels"), LineOfKey(targets, "labels")) ?? new Dictionary<string, string>()
            : new Dictionary<string, string>();

        ComposeTarget? compose = null;
        if (targets["compose"] is { } composeNode
            && reader.Mapping(composeNode, targets.PathOf("compose"), LineOfKey(targets, "compose"), AgentConfigKeys.ComposeTarget) is { } composeMapping)
        {
            string? project = null;
            if (composeMapping["project"] is { } projectNode)
            {
                project = reader.String(projectNode, composeMapping.PathOf("project"));
            }
            else
            {
                reader.Missing(composeMapping, "project", "the Compose project name, as in the label com.docker.compose.project");
            }

            string? service = composeMapping["service"] is { } serviceNode ? reader.String(serviceNode, composeMapping.PathOf("service")) : null;
            compose = project is null ? null : new ComposeTarget { Project = project, Service = service };
        }

        if (reader.ErrorCount != errors)
        {
            return null;
        }

        if (containers.Count == 0 && labels.Count == 0 && compose is null)
        {
            reader.Error(line, targets.KeyPath, "selects no container; give at least one of containers, labels or compose.");
            return null;
        }

        return new TargetsConfig { Containers = containers, Labels = labels, Compose = compose };
    }

    private static RotationConfig? ReadRotation(ConfigReader reader, ConfigMapping secret)
    {
        var rotation = new RotationConfig();
        if (secret["rotation"] is not { } node)
        {
            return rotation;
        }

        if (reader.Mapping(node, secret.PathOf("rotation"), LineOfKey(secret, "rotation"), AgentConfigKeys.Rotation) is not { } mapping)
        {
            return null;
        }

        int errors = reader.ErrorCount;
        if (mapping["strategy"] is { } strategyNode && reader.Choice(strategyNode, mapping.PathOf("strategy"), Strategies) is { } strategyIndex)
        {
            rotation = rotation with { Strategy = (RotationStrategy)strategyIndex };
        }

        bool waitsForHealth = rotation.Strategy is RotationStrategy.Rolling or RotationStrategy.Restart;
        string strategyName = Strategies[(int)rotation.Strategy];
        if (mapping["signal"] is { } signalNode)
        {
            if (rotation.Strategy != RotationStrategy.Signal)
            {
                reader.Error(signalNode, mapping.PathOf("signal"), $"applies to strategy signal only, but the strategy is {strategyName}. Remove it, or set strategy: signal.");
            }
            else if (reader.String(signalNode, mapping.PathOf("signal")) is { } signalName)
            {
                if (SignalNames.Normalize(signalName) is { } signal)
                {
                    rotation = rotation with { Signal = signal };
                }
                else
                {
                    reader.Error(signalNode, mapping.PathOf("signal"), $"must be one of {string.Join(", ", SignalNames.Accepted)} (the SIG prefix may be left out), not \"{signalName}\".");
                }
            }
        }
        else if (rotation.Strategy == RotationStrategy.Signal)
        {
            rotation = rotation with { Signal = SignalNames.Default };
        }

        foreach (string healthKey in HealthKeys.Where(key => mapping.Contains(key) && !waitsForHealth))
        {
            reader.Error(mapping.Entries.First(entry => entry.Key == healthKey).KeyNode, mapping.PathOf(healthKey), $"applies to strategies rolling and restart only, which wait for a new container to be healthy, but the strategy is {strategyName}. Remove it.");
        }

        if (waitsForHealth && mapping["health_timeout"] is { } timeoutNode && reader.Duration(timeoutNode, mapping.PathOf("health_timeout"), TimeSpan.FromSeconds(1)) is { } timeout)
        {
            rotation = rotation with { HealthTimeout = timeout };
        }

        if (mapping["debounce"] is { } debounceNode && reader.Duration(debounceNode, mapping.PathOf("debounce"), TimeSpan.Zero) is { } debounce)
        {
            rotation = rotation with { Debounce = debounce };
        }

        if (mapping["cooldown"] is { } cooldownNode && reader.Duration(cooldownNode, mapping.PathOf("cooldown"), TimeSpan.Zero) is { } cooldown)
        {
            rotation = rotation with { Cooldown = cooldown };
        }

        if (waitsForHealth && mapping["probe"] is { } probeNode)
        {
            rotation = rotation with { Probe = ReadProbe(reader, probeNode, mapping.PathOf("probe"), LineOfKey(mapping, "probe")) };
        }

        return reader.ErrorCount == errors ? rotation : null;
    }

    private static ProbeConfig? ReadProbe(ConfigReader reader, YamlNode node, string keyPath, long line)
    {
        if (reader.Mapping(node, keyPath, line, AgentConfigKeys.Probe) is not { } probe)
        {
            return null;
        }

        bool tcp = probe.Contains("tcp");
        bool http = probe.Contains("http");
        if (tcp == http)
        {
            reader.Error(line, keyPath, tcp
                ? "has both tcp and http; a probe is either tcp: PORT or http: /PATH with port: PORT."
                : "needs tcp: PORT or http: /PATH with port: PORT.");
            return null;
        }

        if (tcp)
        {
            if (probe.Contains("port"))
            {
                reader.Error(probe.Entries.First(entry => entry.Key == "port").KeyNode, probe.PathOf("port"), "applies to http probes only; a tcp probe names its port as tcp: PORT. Remove it.");
                return null;
            }

            return reader.Integer(probe["tcp"]!, probe.PathOf("tcp"), 1, 65535) is { } tcpPort ? new ProbeConfig { Port = tcpPort } : null;
        }

        string? path = reader.String(probe["http"]!, probe.PathOf("http"));
        if (path is not null && (!path.StartsWith('/') || path.Any(char.IsWhiteSpace)))
        {
            reader.Error(probe["http"]!, probe.PathOf("http"), $"must be a URL path starting with /, such as /healthz, not \"{path}\".");
            path = null;
        }

        int? port = null;
        if (probe["port"] is { } portNode)
        {
            port = reader.Integer(portNode, probe.PathOf("port"), 1, 65535);
        }
        else
        {
            reader.Missing(probe, "port", "the container port the HTTP probe connects to");
        }

        return path is null || port is null ? null : new ProbeConfig { Port = port.Value, HttpPath = path };
    }

    private static bool IsEnvironmentVariableName(string name) =>
        (char.IsAsciiLetter(name[0]) || name[0] == '_') && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}
