namespace Dso.Agent.Configuration;

/// <summary>How and how often one secret's targets are rotated.</summary>
internal sealed record RotationConfig
{
    public const RotationStrategy DefaultStrategy = RotationStrategy.Restart;

    public static readonly TimeSpan DefaultHealthTimeout = TimeSpan.FromSeconds(60);

    public static readonly TimeSpan DefaultDebounce = TimeSpan.FromSeconds(10);

    public static readonly TimeSpan DefaultCooldown = TimeSpan.FromSeconds(60);

    public RotationStrategy Strategy { get; init; } = DefaultStrategy;

    /// <summary>The SIG-prefixed signal name for strategy signal, else null.</summary>
    public string? Signal { get; init; }

    /// <summary>How long a new container (rolling, restart) may take to become healthy.</summary>
    public TimeSpan HealthTimeout { get; init; } = DefaultHealthTimeout;

    /// <summary>How long changes must stop arriving before a rotation starts, so that a burst rotates once.</summary>
    public TimeSpan Debounce { get; init; } = DefaultDebounce;

    /// <summary>The least time between two rotations of the same target.</summary>
    public TimeSpan Cooldown { get; init; } = DefaultCooldown;

    /// <summary>A health check for containers without a HEALTHCHECK (rolling, restart), or null.</summary>
    public ProbeConfig? Probe { get; init; }
}
