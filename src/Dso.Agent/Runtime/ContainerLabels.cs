namespace Dso.Agent.Runtime;

/// <summary>The container labels the agent reads and writes.</summary>
internal static class ContainerLabels
{
    /// <summary>Comma- or space-separated names of dso.yaml secrets the container receives.</summary>
    public const string Secrets = "dso.secrets";

    /// <summary>rolling, restart, signal or none: overrides the secrets' strategy for this container.</summary>
    public const string Strategy = "dso.update.strategy";

    /// <summary>Set on every container the agent creates: the journal id of the rotation that created it.</summary>
    public const string RotationId = "dso.rotation.id";

    public const string ComposeProject = "com.docker.compose.project";

    public const string ComposeService = "com.docker.compose.service";

    public const string ComposeNumber = "com.docker.compose.container-number";
}
