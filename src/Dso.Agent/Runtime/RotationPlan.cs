using Dso.Agent.Configuration;

namespace Dso.Agent.Runtime;

/// <summary>How one container is rotated: its strategy and the settings merged from the secrets it receives.</summary>
internal sealed record RotationPlan
{
    public const string DefaultSignal = "SIGHUP";

    public required RotationStrategy Strategy { get; init; }

    public required TimeSpan HealthTimeout { get; init; }

    public required TimeSpan Debounce { get; init; }

    public required TimeSpan Cooldown { get; init; }

    public ProbeConfig? Probe { get; init; }

    public string Signal { get; init; } = DefaultSignal;

    /// <summary>
    /// Merges the rotation settings of a container's secrets: the container's strategy, and for the timings the
    /// longest of each, so that no secret's debounce or cooldown is cut short by another's.
    /// </summary>
    public static RotationPlan For(ManagedContainer container)
    {
        IReadOnlyList<RotationConfig> rotations = container.Secrets.Select(secret => secret.Rotation).ToList();
        return new RotationPlan
        {
            Strategy = container.Strategy,
            HealthTimeout = rotations.Max(rotation => rotation.HealthTimeout),
            Debounce = rotations.Max(rotation => rotation.Debounce),
            Cooldown = rotations.Max(rotation => rotation.Cooldown),
            Probe = rotations.Select(rotation => rotation.Probe).FirstOrDefault(probe => probe is not null),
            Signal = rotations.Select(rotation => rotation.Signal).FirstOrDefault(signal => signal is not null) ?? DefaultSignal,
        };
    }

    public static string NameOf(RotationStrategy strategy) => strategy switch
    {
        RotationStrategy.Rolling => "rolling",
        RotationStrategy.Restart => "restart",
        RotationStrategy.Signal => "signal",
        _ => "none",
    };
}
