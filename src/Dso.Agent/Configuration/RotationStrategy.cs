namespace Dso.Agent.Configuration;

/// <summary>What the agent does to a target container when its secret changes.</summary>
internal enum RotationStrategy
{
    /// <summary>Start a copy with the new secret, wait until it is healthy, swap, remove the old one.</summary>
    Rolling,

    /// <summary>Recreate the container with the new secret (brief downtime).</summary>
    Restart,

    /// <summary>Replace the secret files in place and send a signal.</summary>
    Signal,

    /// <summary>Replace the secret files only.</summary>
    None,
}
