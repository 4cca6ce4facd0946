using Dso.Core;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Dso.Cli.Config;

/// <summary>
/// The local-mode dso.yaml. Every key is optional; an unknown key, a wrong type or an agent-mode file is an error
/// naming the file and line, so that no setting is silently ignored. Environment variables override the file.
/// <code>
/// mode: local
/// secret_files:
///   directory: /dev/shm/dso-1000   # root of the secret files (DSO_RUNTIME_DIR overrides)
///   allow_disk: false              # accept a directory that is not tmpfs (DSO_ALLOW_DISK_SECRETS=1 overrides)
/// compose:
///   command: docker-compose        # or "docker compose" (DSO_COMPOSE overrides)
/// </code>
/// </summary>
internal sealed record LocalConfig
{
    public static LocalConfig Default { get; } = new();

    public string? Path { get; init; }

    public string? SecretFileDirectory { get; init; }

    public bool AllowDiskBackedSecretFiles { get; init; }

    public string? ComposeCommand { get; init; }

    public static LocalConfig Load(ConfigLocation location)
    {
        if (location.Path is null)
        {
            return Default;
        }

        string path = location.Path;
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (YamlException exception)
        {
            throw new DsoException($"{path}:{exception.Start.Line}: invalid YAML: {exception.Message}", exception);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return Default with { Path = path };
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new DsoException($"{path}:1: the config must be a mapping of keys such as mode: local.");
        }

        var config = new LocalConfig { Path = path };
        foreach ((YamlNode keyNode, YamlNode value) in root.Children)
        {
            string key = Scalar(path, keyNode, "a key");
            switch (key)
            {
                case "mode":
                    string mode = Scalar(path, value, "mode");
                    if (mode != "local")
                    {
                        throw new DsoException($"{path}:{Line(value)}: mode is \"{mode}\", but this command runs in local mode. Use a local-mode config (mode: local), or run the agent with this one.");
                    }

                    if (path.StartsWith("/etc/", StringComparison.Ordinal))
                    {
                        throw new DsoException($"{path}:{Line(value)}: a local-mode config must not live under /etc, which is agent mode's place. Move it to ~/.dso/dso.yaml.");
                    }

                    break;
                case "secret_files":
                    foreach ((string childKey, YamlNode childValue) in Mapping(path, value, key))
                    {
                        config = childKey switch
                        {
                            "directory" => config with { SecretFileDirectory = System.IO.Path.GetFullPath(Scalar(path, childValue, "secret_files.directory"), System.IO.Path.GetDirectoryName(path)!) },
                            "allow_disk" => config with { AllowDiskBackedSecretFiles = AllowDisk(location, childValue) },
                            _ => throw Unknown(path, childValue, $"secret_files.{childKey}", "directory, allow_disk"),
                        };
                    }

                    break;
                case "compose":
                    foreach ((string childKey, YamlNode childValue) in Mapping(path, value, key))
                    {
                        if (childKey != "command")
                        {
                            throw Unknown(path, childValue, $"compose.{childKey}", "command");
                        }

                        string command = Scalar(path, childValue, "compose.command");
                        if (command is not ("docker compose" or "docker-compose"))
                        {
                            throw new DsoException($"{path}:{Line(childValue)}: compose.command must be \"docker compose\" or \"docker-compose\", not \"{command}\".");
                        }

                        config = config with { ComposeCommand = command };
                    }

                    break;
                default:
                    throw Unknown(path, keyNode, key, "mode, secret_files, compose");
            }
        }

        return config;
    }

    /// <summary>
    /// Reads secret_files.allow_disk, which only a config the user chose may turn on: a dso.yaml that came with a
    /// cloned project in the working directory must not be able to send secrets to disk.
    /// </summary>
    private static bool AllowDisk(ConfigLocation location, YamlNode node)
    {
        bool allow = Boolean(location.Path!, node, "secret_files.allow_disk");
        if (allow && location.Source == ConfigDiscovery.WorkingDirectorySource)
        {
            throw new DsoException($"{location.Path}:{Line(node)}: secret_files.allow_disk: true is not accepted from a dso.yaml in the working directory, which may come with a project you cloned. " +
                "Put it in ~/.dso/dso.yaml, pass the file with --config, or set DSO_ALLOW_DISK_SECRETS=1.");
        }

        return allow;
    }

    private static IEnumerable<(string Key, YamlNode Value)> Mapping(string path, YamlNode node, string name)
    {
        if (node is not YamlMappingNode mapping)
        {
            throw new DsoException($"{path}:{Line(node)}: {name} must be a mapping.");
        }

        foreach ((YamlNode key, YamlNode value) in mapping.Children)
        {
            yield return (Scalar(path, key, "a key"), value);
        }
    }

    private static string Scalar(string path, YamlNode node, string name) =>
        node is YamlScalarNode { Value: { } value }
            ? value
            : throw new DsoException($"{path}:{Line(node)}: {name} must be a single value, not a list or mapping.");

    private static bool Boolean(string path, YamlNode node, string name) =>
        Scalar(path, node, name) switch
        {
            "true" => true,
            "false" => false,
            string other => throw new DsoException($"{path}:{Line(node)}: {name} must be true or false, not \"{other}\"."),
        };

    private static DsoException Unknown(string path, YamlNode node, string key, string known) =>
        new($"{path}:{Line(node)}: unknown key \"{key}\" (known keys here: {known}). Remove it or correct its spelling.");

    private static long Line(YamlNode node) => node.Start.Line;
}
