namespace Dso.Agent.Configuration;

/// <summary>The agent-mode dso.yaml that discovery chose, how it was found, and a warning to show when its place is not recommended.</summary>
internal sealed record AgentConfigLocation(string Path, string Source, string? Warning = null);
