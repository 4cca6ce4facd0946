using Dso.Compose.Yaml;

namespace Dso.Compose.Source;

/// <summary>A service's effective environment, with the site of each variable, and where the service is defined.</summary>
internal sealed class ServiceEnvironment
{
    public required string Name { get; init; }

    /// <summary>The service's profiles. Migrate and validate read the services of every profile.</summary>
    public required IReadOnlyList<string> Profiles { get; init; }

    /// <summary>The service's mapping in each -f file that defines it, in merge order.</summary>
    public required IReadOnlyList<ServiceDefinitionSite> Definitions { get; init; }

    /// <summary>
    /// The variables the container receives, in the order Compose applies them: env_file lines first, then the
    /// environment key, each later site replacing an earlier one.
    /// </summary>
    public required IReadOnlyList<EnvironmentSite> Effective { get; init; }

    public EnvironmentSite? Find(string variable) => Effective.FirstOrDefault(site => site.Variable == variable);
}

/// <summary>A service's mapping in one compose file.</summary>
internal sealed record ServiceDefinitionSite(YamlSourceDocument Document, YamlSourceScalar NameNode, YamlSourceMapping Mapping);
