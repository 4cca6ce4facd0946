using Docker.DotNet.Models;

namespace Dso.Agent.Runtime;

/// <summary>
/// Builds the create request for a copy of a container: same image (by id, so a moved tag changes nothing), command,
/// labels, mounts and networks, with the new secret environment and bind mounts. A rolling copy runs beside the
/// original, so it gets no host ports and no static IP or MAC address, which the original still holds.
/// </summary>
internal static class ContainerCopy
{
    public static (CreateContainerParameters Create, IReadOnlyList<(string Network, EndpointSettings Endpoint)> LaterNetworks) Build(
        ContainerInspectResponse original,
        string name,
        string rotationId,
        IReadOnlyDictionary<string, string> environment,
        IReadOnlyDictionary<string, string> mounts,
        bool besideOriginal)
    {
        Config config = original.Config;
        string shortId = original.ID[..12];
        var create = new CreateContainerParameters(config)
        {
            Name = name,
            Image = original.Image,
            Hostname = config.Hostname == shortId ? null : config.Hostname,
            MacAddress = besideOriginal ? null : config.MacAddress,
            Env = MergeEnvironment(config.Env, environment),
            Labels = new Dictionary<string, string>(config.Labels ?? new Dictionary<string, string>(), StringComparer.Ordinal)
            {
                [ContainerLabels.RotationId] = rotationId,
            },
            HostConfig = CopyHostConfig(original.HostConfig, mounts, besideOriginal),
        };

        var later = new List<(string, EndpointSettings)>();
        string networkMode = original.HostConfig.NetworkMode ?? "default";
        IDictionary<string, EndpointSettings> networks = original.NetworkSettings?.Networks ?? new Dictionary<string, EndpointSettings>();
        var endpoints = new Dictionary<string, EndpointSettings>(StringComparer.Ordinal);
        foreach ((string network, EndpointSettings endpoint) in networks)
        {
            var copy = new EndpointSettings
            {
                Aliases = endpoint.Aliases?.Where(alias => alias != shortId && alias != config.Hostname).ToList(),
                DriverOpts = endpoint.DriverOpts,
                IPAMConfig = besideOriginal ? null : endpoint.IPAMConfig,
                MacAddress = besideOriginal ? null : endpoint.MacAddress,
            };
            if (network is "bridge" or "host" or "none")
            {
                continue;
            }

            if (network == networkMode && endpoints.Count == 0)
            {
                endpoints[network] = copy;
            }
            else
            {
                later.Add((network, copy));
            }
        }

        create.NetworkingConfig = endpoints.Count == 0 ? null : new NetworkingConfig { EndpointsConfig = endpoints };
        return (create, later);
    }

    /// <summary>True when a copy cannot run beside the original: it publishes host ports or shares another namespace's network.</summary>
    public static string? WhyNotBeside(ContainerInspectResponse original)
    {
        string mode = original.HostConfig.NetworkMode ?? "";
        if (mode == "host" || mode.StartsWith("container:", StringComparison.Ordinal))
        {
            return $"it uses network mode {mode}";
        }

        if (original.HostConfig.PortBindings is { Count: > 0 } bindings
            && bindings.Values.Any(list => list?.Any(binding => !string.IsNullOrEmpty(binding.HostPort)) == true))
        {
            return "it publishes host ports";
        }

        return original.HostConfig.PublishAllPorts ? "it publishes all its ports" : null;
    }

    private static List<string> MergeEnvironment(IList<string>? current, IReadOnlyDictionary<string, string> environment)
    {
        var merged = new List<string>();
        foreach (string entry in current ?? [])
        {
            int equals = entry.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? entry : entry[..equals];
            if (!environment.ContainsKey(name))
            {
                merged.Add(entry);
            }
        }

        merged.AddRange(environment.Select(pair => $"{pair.Key}={pair.Value}"));
        return merged;
    }

    private static HostConfig CopyHostConfig(HostConfig original, IReadOnlyDictionary<string, string> mounts, bool besideOriginal)
    {
        HostConfig copy = original;
        copy.Binds = (original.Binds ?? [])
            .Where(bind => !mounts.ContainsKey(BindDestination(bind)))
            .Concat(mounts.Select(pair => $"{pair.Value}:{pair.Key}:ro"))
            .ToList();
        copy.Mounts = original.Mounts?.Where(mount => !mounts.ContainsKey(mount.Target)).ToList();
        if (besideOriginal)
        {
            copy.PortBindings = null;
            copy.PublishAllPorts = false;
        }

        return copy;
    }

    private static string BindDestination(string bind)
    {
        string[] parts = bind.Split(':');
        return parts.Length >= 2 ? parts[1] : bind;
    }
}
