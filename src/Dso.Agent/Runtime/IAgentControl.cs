namespace Dso.Agent.Runtime;

/// <summary>What the agent's local API (the unix socket) may ask of the running agent.</summary>
internal interface IAgentControl
{
    /// <summary>A consistent snapshot of providers, secrets, targets and rotations in flight.</summary>
    AgentStatus GetStatus();

    /// <summary>
    /// Fetches the secret now and rotates every target that uses it and does not have its current version,
    /// ignoring debounce and cooldown. The task completes when those rotations have finished or failed.
    /// </summary>
    /// <exception cref="Core.DsoException">The secret is not configured.</exception>
    Task<ManualRotationResult> RotateSecretAsync(string secretName, CancellationToken cancellationToken);

    /// <summary>Raised after every change of the status (a poll, a rotation step), for dso status --watch.</summary>
    event EventHandler? StatusChanged;
}
