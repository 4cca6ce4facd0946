namespace Dso.Agent.Api;

/// <summary>Whether a connected process may use the agent's API, and, when it may not, why and what to do.</summary>
internal sealed record PeerDecision(PeerCredentials Peer, bool Allowed, string? UserName, string? Reason)
{
    /// <summary>The key under which a connection's decision is stored in its connection items.</summary>
    public static readonly object ItemKey = new();
}
