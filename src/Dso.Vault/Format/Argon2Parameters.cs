namespace Dso.Vault.Format;

/// <summary>Argon2id cost parameters, stored in the vault header so that a later dso can derive the same key.</summary>
internal sealed record Argon2Parameters(uint MemoryKib, uint Iterations, uint Parallelism)
{
    public static Argon2Parameters None { get; } = new(0, 0, 0);

    /// <summary>64 MiB, 3 passes, 1 lane: the second recommended option of RFC 9106 section 4.</summary>
    public static Argon2Parameters Default { get; } = new(64 * 1024, 3, 1);
}
