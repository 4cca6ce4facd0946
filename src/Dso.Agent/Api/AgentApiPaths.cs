namespace Dso.Agent.Api;

/// <summary>The request paths of the agent's local API.</summary>
internal static class AgentApiPaths
{
    public const string Status = "/v1/status";

    /// <summary>Newline-delimited JSON: one status snapshot at once, then one after every change.</summary>
    public const string StatusStream = "/v1/status/stream";

    public const string Rotations = "/v1/rotations";

    public const string Rotate = "/v1/rotate";
}
