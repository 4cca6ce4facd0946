using System.Text;
using Docker.DotNet.Models;
using Dso.Agent.Configuration;
using Dso.Core;
using Dso.Docker.Engine;

namespace Dso.Agent.Runtime;

/// <summary>
/// How a container receives its secrets: which files are written where, which bind mounts and environment
/// variables it needs, and whether a running container already has them.
/// </summary>
internal sealed class SecretDelivery
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly AgentSecretFiles _files;
    private readonly ContainerUserResolver _users;

    public SecretDelivery(AgentSecretFiles files, ContainerUserResolver users)
    {
        _files = files;
        _users = users;
    }

    public AgentSecretFiles Files => _files;

    /// <summary>Container directories that hold file secrets, each with the host directory of <paramref name="generation"/>.</summary>
    public IReadOnlyDictionary<string, string> Mounts(ManagedContainer container, string generation) =>
        container.Secrets
            .Where(secret => secret.Inject.As == InjectMode.File)
            .Select(secret => Path.GetDirectoryName(secret.Inject.FilePath!)!)
            .Distinct(StringComparer.Ordinal)
            .ToDictionary(directory => directory, directory => _files.HostDirectory(container.TargetKey, generation, directory), StringComparer.Ordinal);

    /// <summary>Writes every file secret of the container into <paramref name="generation"/>, owned by the container's user unless configured.</summary>
    public async Task WriteFilesAsync(ManagedContainer container, ContainerInspectResponse inspect, string generation,
        IReadOnlyDictionary<string, CurrentSecret> values, CancellationToken cancellationToken)
    {
        (int Uid, int Gid)? user = null;
        foreach (SecretConfig secret in container.Secrets.Where(secret => secret.Inject.As == InjectMode.File))
        {
            InjectConfig inject = secret.Inject;
            if ((inject.Uid is null || inject.Gid is null) && user is null)
            {
                user = await _users.ResolveAsync(container.Name, inspect.Config.User, inspect.Image, cancellationToken);
            }

            _files.Write(container.TargetKey, generation, inject.FilePath!, values[secret.Name].Value,
                inject.Uid ?? user!.Value.Uid, inject.Gid ?? user!.Value.Gid, inject.FileMode);
        }
    }

    /// <summary>The environment variables the container needs: env secrets' values and file secrets' paths.</summary>
    public static IReadOnlyDictionary<string, string> Environment(ManagedContainer container, IReadOnlyDictionary<string, CurrentSecret> values)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (SecretConfig secret in container.Secrets)
        {
            if (secret.Inject.EnvironmentVariable is not { } variable)
            {
                continue;
            }

            if (secret.Inject.As == InjectMode.File)
            {
                variables[variable] = secret.Inject.FilePath!;
                continue;
            }

            byte[] value = values[secret.Name].Value;
            string text;
            try
            {
                text = StrictUtf8.GetString(value);
            }
            catch (DecoderFallbackException)
            {
                throw new DsoException($"Secret {secret.Name} is not UTF-8 text, so it cannot be the environment variable {variable} of {container.Name}. Inject it as a file (inject.as: file).");
            }

            if (text.Contains('\0', StringComparison.Ordinal))
            {
                throw new DsoException($"Secret {secret.Name} contains a NUL byte, which an environment variable cannot hold ({variable} of {container.Name}). Inject it as a file (inject.as: file).");
            }

            variables[variable] = text;
        }

        return variables;
    }

    /// <summary>
    /// The generation the container mounts for all its file secrets, or null with the reason when a mount is
    /// missing or the generations differ.
    /// </summary>
    public string? MountedGeneration(ManagedContainer container, ContainerInspectResponse inspect, out string? problem)
    {
        problem = null;
        string? generation = null;
        foreach (string directory in Mounts(container, AgentSecretFiles.InitialGeneration).Keys)
        {
            MountPoint? mount = inspect.Mounts?.FirstOrDefault(mount => mount.Destination == directory);
            string? mounted = mount is null ? null : _files.GenerationOf(container.TargetKey, mount.Source);
            if (mounted is null)
            {
                problem = $"{directory} is not mounted from {_files.TargetDirectory(container.TargetKey)}";
                return null;
            }

            if (generation is not null && generation != mounted)
            {
                problem = $"its secret directories come from two generations ({generation}, {mounted})";
                return null;
            }

            generation = mounted;
        }

        return generation ?? AgentSecretFiles.InitialGeneration;
    }

    /// <summary>True when the container's environment holds every variable it needs with the current value.</summary>
    public static bool HasEnvironment(ContainerInspectResponse inspect, IReadOnlyDictionary<string, string> variables, out string? problem)
    {
        problem = null;
        var current = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string entry in inspect.Config.Env ?? [])
        {
            int equals = entry.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                current[entry[..equals]] = entry[(equals + 1)..];
            }
        }

        foreach ((string name, string value) in variables)
        {
            if (!current.TryGetValue(name, out string? actual) || !string.Equals(actual, value, StringComparison.Ordinal))
            {
                problem = $"its environment variable {name} is missing or out of date";
                return false;
            }
        }

        return true;
    }
}
