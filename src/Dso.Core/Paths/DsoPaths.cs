using Dso.Core.IO;

namespace Dso.Core.Paths;

/// <summary>
/// Every file and directory dso uses in local mode. Each root has an environment override so that tests and
/// non-root users can move everything into a temporary folder: DSO_HOME, DSO_STATE_DIR, DSO_LOCK_DIR,
/// DSO_RUNTIME_DIR and DSO_SOCKET.
/// </summary>
internal sealed record DsoPaths
{
    public required string Home { get; init; }

    public required string StateDirectory { get; init; }

    public required string LockDirectory { get; init; }

    /// <summary>Explicit secret-file root from DSO_RUNTIME_DIR, or null to choose a tmpfs directory.</summary>
    public string? RuntimeDirectoryOverride { get; init; }

    public required string SocketPath { get; init; }

    public string VaultPath => Path.Combine(Home, "vault.enc");

    public string VaultLockPath => Path.Combine(Home, "vault.enc.lock");

    public string MasterKeyPath => Path.Combine(Home, "master.key");

    /// <summary>The new key written first during a rekey; it replaces master.key once the vault is re-encrypted.</summary>
    public string NextMasterKeyPath => Path.Combine(Home, "master.key.next");

    public string LocalConfigPath => Path.Combine(Home, "dso.yaml");

    public static DsoPaths FromEnvironment(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        string home = NonEmpty(environment("DSO_HOME"))
            ?? Path.Combine(NonEmpty(environment("HOME")) ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dso");
        home = Path.GetFullPath(home);

        return new DsoPaths
        {
            Home = home,
            StateDirectory = Path.GetFullPath(NonEmpty(environment("DSO_STATE_DIR")) ?? Path.Combine(home, "state")),
            LockDirectory = Path.GetFullPath(NonEmpty(environment("DSO_LOCK_DIR")) ?? Path.Combine(home, "locks")),
            RuntimeDirectoryOverride = NonEmpty(environment("DSO_RUNTIME_DIR")) is { } runtime ? Path.GetFullPath(runtime) : null,
            SocketPath = NonEmpty(environment("DSO_SOCKET")) ?? "/run/dso/dso.sock",
        };
    }

    /// <summary>
    /// Chooses the root for secret files: DSO_RUNTIME_DIR when set, else the first memory-backed candidate of
    /// $XDG_RUNTIME_DIR/dso, /run/dso/secrets and /dev/shm/dso-UID.
    /// </summary>
    public string ResolveSecretFileRoot(Func<string, string?>? environment = null)
    {
        environment ??= Environment.GetEnvironmentVariable;
        if (RuntimeDirectoryOverride is not null)
        {
            return RuntimeDirectoryOverride;
        }

        var candidates = new List<(string Parent, string Root)>();
        if (NonEmpty(environment("XDG_RUNTIME_DIR")) is { } xdg)
        {
            candidates.Add((xdg, Path.Combine(xdg, "dso")));
        }

        candidates.Add(("/run", "/run/dso/secrets"));
        candidates.Add(("/dev/shm", $"/dev/shm/dso-{Libc.geteuid()}"));

        foreach ((string parent, string root) in candidates)
        {
            if (Directory.Exists(parent) && FileSystemTypes.IsMemoryBacked(parent))
            {
                return root;
            }
        }

        throw new DsoException(
            "No memory-backed (tmpfs) directory was found for secret files: tried $XDG_RUNTIME_DIR, /run and /dev/shm. " +
            "Mount a tmpfs on one of them, or set DSO_RUNTIME_DIR to a tmpfs directory.");
    }

    private static string? NonEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}
