namespace Dso.Agent.Providers;

/// <summary>Limits for the calls of one provider. The defaults suit a host polling thousands of secrets.</summary>
internal sealed record ProviderResilienceOptions
{
    public static ProviderResilienceOptions Default { get; } = new();

    /// <summary>How long one HTTP call may take before it counts as a failure.</summary>
    public TimeSpan AttemptTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many times a throttled or failed call is tried again.</summary>
    public int MaxRetries { get; init; } = 3;

    /// <summary>The first retry delay; later ones grow exponentially, with jitter.</summary>
    public TimeSpan RetryBaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Calls in flight at once; more wait in a queue, so thousands of secrets never mean thousands of connections.</summary>
    public int MaxConcurrency { get; init; } = 8;

    /// <summary>Calls that may wait for a slot before a call is refused as throttled.</summary>
    public int MaxQueued { get; init; } = 100_000;

    /// <summary>Share of failed calls within <see cref="CircuitSamplingDuration"/> that opens the circuit.</summary>
    public double CircuitFailureRatio { get; init; } = 0.5;

    /// <summary>Fewest calls in the sampling window before the circuit can open.</summary>
    public int CircuitMinimumThroughput { get; init; } = 5;

    public TimeSpan CircuitSamplingDuration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the circuit stays open before a trial call is let through.</summary>
    public TimeSpan CircuitBreakDuration { get; init; } = TimeSpan.FromSeconds(30);
}
