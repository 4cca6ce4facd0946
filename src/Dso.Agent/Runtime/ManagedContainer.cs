using Dso.Agent.Configuration;

namespace Dso.Agent.Runtime;

/// <summary>A container the agent delivers secrets to, as the catalog last saw it.</summary>
internal sealed record ManagedContainer
{
    public required string Id { get; init; }

    /// <summary>The name without Docker's leading slash.</summary>
    public required string Name { get; init; }

    /// <summary>"compose:PROJECT/SERVICE" (with "#N" for replica N above 1) or "container:NAME".</summary>
    public required string TargetKey { get; init; }

    public required bool Running { get; init; }

    /// <summary>The configured secrets the container receives, ordered by name.</summary>
    public required IReadOnlyList<SecretConfig> Secrets { get; init; }

    /// <summary>The strategy from the dso.update.strategy label, else the most thorough one among its secrets.</summary>
    public required RotationStrategy Strategy { get; init; }

    /// <summary>Names in the container's dso.secrets label that dso.yaml does not declare.</summary>
    public IReadOnlyList<string> UnknownSecrets { get; init; } = [];
}
