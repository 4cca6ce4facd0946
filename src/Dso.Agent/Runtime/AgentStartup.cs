using Dso.Agent.Configuration;

namespace Dso.Agent.Runtime;

/// <summary>What dso agent resolved before the host starts: the loaded config and every path.</summary>
internal sealed record AgentStartup
{
    public required AgentConfig Config { get; init; }

    public required AgentPaths Paths { get; init; }

    /// <summary>The tmpfs directory under which the agent keeps secret files (agent.d is created inside).</summary>
    public required string SecretFileRoot { get; init; }

    public bool AllowDiskBackedSecretFiles { get; init; }

    public required Func<string, string?> Environment { get; init; }
}
