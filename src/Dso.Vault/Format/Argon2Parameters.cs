namespace Dso.Vault.Format;

/// <summary>Argon2id cost parameters, stored in the vault header so that a later dso can derive the same key.</summary>
internal sealed record Argon2Parameters(uint MemoryKib, uint Iterations, uint Parallelism)
{
    public static Argon2Parameters None { get; } = new(0, 0, 0);

    // NOTE: the three limits below are dso's own choice, far above Default. Raise them if dso ever writes larger
    // parameters, since a vault written with larger ones would not open.

    /// <summary>Maximum memory, in KiB (4 GiB), accepted from a vault header.</summary>
    public const uint MaxMemoryKib = 4 * 1024 * 1024;

    /// <summary>Maximum number of passes accepted from a vault header.</summary>
    public const uint MaxIterations = 64;

    /// <summary>Maximum number of lanes accepted from a vault header.</summary>
    public const uint MaxParallelism = 64;

    /// <summary>64 MiB and 3 passes as in the second recommended option of RFC 9106 section 4, but 1 lane where the RFC has 4.</summary>
    public static Argon2Parameters Default { get; } = new(64 * 1024, 3, 1);

    /// <summary>
    /// Returns why the parameters cannot be used, or null. The header is authenticated only after the key is derived,
    /// so the limits are what keeps a damaged header from making dso allocate terabytes or run for hours first.
    /// </summary>
    public string? FindProblem()
    {
        if (Parallelism is 0 or > MaxParallelism)
        {
            return $"{Parallelism} lanes is outside the accepted range of 1 to {MaxParallelism}";
        }

        if (Iterations is 0 or > MaxIterations)
        {
            return $"{Iterations} passes is outside the accepted range of 1 to {MaxIterations}";
        }

        // Argon2 needs at least 8 KiB of memory per lane.
        if (MemoryKib < 8 * Parallelism || MemoryKib > MaxMemoryKib)
        {
            return $"{MemoryKib} KiB of memory is outside the accepted range of {8 * Parallelism} to {MaxMemoryKib} KiB";
        }

        return null;
    }
}
