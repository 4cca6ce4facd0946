namespace Dso.Agent.Runtime;

/// <summary>The outcome of one rotation attempt of one container.</summary>
internal sealed record RotationResult(string? RotationId, RotationOutcome Outcome, string? Error)
{
    public static RotationResult Busy(string lockPath) => new(null, RotationOutcome.Busy, $"another rotation holds {lockPath}");
}

internal enum RotationOutcome
{
    Completed,

    /// <summary>It failed and was rolled back: the old container still serves; it is retried with backoff.</summary>
    Failed,

    /// <summary>Another rotation of the same target holds its lock; it is tried again later.</summary>
    Busy,
}
