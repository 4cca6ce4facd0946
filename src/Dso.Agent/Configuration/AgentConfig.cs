namespace Dso.Agent.Configuration;

/// <summary>An agent-mode dso.yaml after strict loading: every key known, every value checked, defaults filled in.</summary>
internal sealed record AgentConfig
{
    public required string Path { get; init; }

    public required IReadOnlyDictionary<string, ProviderConfig> Providers { get; init; }

    public required IReadOnlyDictionary<string, SecretConfig> Secrets { get; init; }

    public required AgentSettings Agent { get; init; }

    /// <summary>
    /// Environment variables that credential values refer to but that were unset. Always empty unless the
    /// file was loaded with <see cref="AgentConfigLoadOptions.RequireVariables"/> off; their values then
    /// hold the unexpanded text.
    /// </summary>
    public IReadOnlyList<string> UnsetVariables { get; init; } = [];
}
