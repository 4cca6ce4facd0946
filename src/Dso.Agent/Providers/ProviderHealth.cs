namespace Dso.Agent.Providers;

/// <summary>A provider's state as dso status shows it.</summary>
/// <param name="IsHealthy">False after authentication failed or the circuit opened.</param>
/// <param name="Reason">Why it is unhealthy, or null; never holds a credential.</param>
/// <param name="Since">When the state last changed.</param>
internal sealed record ProviderHealth(bool IsHealthy, string? Reason, DateTimeOffset Since)
{
    public static ProviderHealth Healthy(DateTimeOffset since) => new(true, null, since);

    public static ProviderHealth Unhealthy(string reason, DateTimeOffset since) => new(false, reason, since);
}
