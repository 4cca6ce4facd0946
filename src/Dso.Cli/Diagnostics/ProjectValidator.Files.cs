using Dso.Compose.Diagnostics;
using Dso.Compose.References;
using Dso.Compose.Source;
using Dso.Compose.Yaml;

namespace Dso.Cli.Diagnostics;

/// <summary>The file-target checks of dso validate: two references that need the same path in one container.</summary>
internal sealed partial class ProjectValidator
{
    /// <summary>
    /// Reports file references of one service that cannot all exist below /run/secrets/dso: the same secret with
    /// different owner or mode options, a secret whose name is a folder of another (a and a/b), and a volume,
    /// tmpfs or Compose secret that the service mounts on dso's directory.
    /// </summary>
    private void CheckFileTargets(List<(ServiceEnvironment Service, EnvironmentSite Site, SecretReference Reference)> references)
    {
        foreach (IGrouping<ServiceEnvironment, (ServiceEnvironment Service, EnvironmentSite Site, SecretReference Reference)> service in references
            .Where(reference => reference.Reference.Kind == InjectionKind.File)
            .GroupBy(reference => reference.Service))
        {
            var first = new Dictionary<string, (EnvironmentSite Site, SecretReference Reference)>(StringComparer.Ordinal);
            foreach ((_, EnvironmentSite site, SecretReference reference) in service)
            {
                if (!first.TryGetValue(reference.SecretName, out (EnvironmentSite Site, SecretReference Reference) earlier))
                {
                    first[reference.SecretName] = (site, reference);
                }
                else if (earlier.Reference.Uid != reference.Uid || earlier.Reference.Gid != reference.Gid || earlier.Reference.Mode != reference.Mode)
                {
                    Add(FindingSeverity.Error, "reference.file_options_differ", $"service \"{service.Key.Name}\" uses the file secret \"{reference.SecretName}\" here and at {earlier.Site.Location} with different uid, gid or mode options, but both point at one file. Give both references the same options.", site.File, site.Line);
                }
            }

            foreach ((string name, (EnvironmentSite site, _)) in first)
            {
                string? folder = first.Keys.FirstOrDefault(other => name.StartsWith(other + "/", StringComparison.Ordinal));
                if (folder is not null)
                {
                    Add(FindingSeverity.Error, "reference.file_path_collision", $"service \"{service.Key.Name}\" uses the file secrets \"{folder}\" and \"{name}\", so {SecretMountDirectory}/{folder} would have to be a file and a folder at once. Rename one of the secrets.", site.File, site.Line);
                }
            }

            CheckMountTargets(service.Key);
        }
    }

    private void CheckMountTargets(ServiceEnvironment service)
    {
        foreach (ServiceDefinitionSite definition in service.Definitions)
        {
            foreach ((string target, int line, string kind) in MountTargets(definition.Mapping))
            {
                string normalized = target.TrimEnd('/');
                if (normalized == SecretMountDirectory || normalized.StartsWith(SecretMountDirectory + "/", StringComparison.Ordinal))
                {
                    Add(FindingSeverity.Error, "reference.mount_collision", $"service \"{service.Name}\" mounts a {kind} at {target}, where dso mounts its file secrets ({SecretMountDirectory}). Move the {kind} elsewhere.", definition.Document.Path, line);
                }
            }
        }
    }

    /// <summary>Lists the container paths of a service's volumes, tmpfs mounts and Compose secrets, as written (uninterpolated).</summary>
    private static IEnumerable<(string Target, int Line, string Kind)> MountTargets(YamlSourceMapping service)
    {
        foreach (YamlSourceNode item in Items(YamlSourceNodes.GetValue(service, "volumes")))
        {
            string? target = item is YamlSourceMapping longForm
                ? YamlSourceNodes.ScalarText(YamlSourceNodes.GetValue(longForm, "target"))
                : YamlSourceNodes.ScalarText(item) is { } shortForm ? VolumeTarget(shortForm) : null;
            if (target is not null)
            {
                yield return (target, item.Line, "volume");
            }
        }

        foreach (YamlSourceNode item in Items(YamlSourceNodes.GetValue(service, "tmpfs")))
        {
            if (YamlSourceNodes.ScalarText(item) is { } tmpfs)
            {
                yield return (tmpfs.Split(':')[0], item.Line, "tmpfs");
            }
        }

        foreach (YamlSourceNode item in Items(YamlSourceNodes.GetValue(service, "secrets")))
        {
            string? target = item is YamlSourceMapping longForm
                ? YamlSourceNodes.ScalarText(YamlSourceNodes.GetValue(longForm, "target")) ?? YamlSourceNodes.ScalarText(YamlSourceNodes.GetValue(longForm, "source"))
                : YamlSourceNodes.ScalarText(item);
            if (target is not null)
            {
                yield return (target.StartsWith('/') ? target : "/run/secrets/" + target, item.Line, "Compose secret");
            }
        }
    }

    private static IEnumerable<YamlSourceNode> Items(YamlSourceNode? node) => node switch
    {
        YamlSourceSequence sequence => sequence.Items.Select(YamlSourceNodes.Resolve),
        YamlSourceScalar scalar when !scalar.IsNull => [scalar],
        _ => [],
    };

    /// <summary>Returns the container path of a short volume: "target", "source:target" or "source:target:mode".</summary>
    private static string VolumeTarget(string volume)
    {
        string[] parts = volume.Split(':');
        return parts.Length == 1 ? parts[0] : parts[1];
    }
}
