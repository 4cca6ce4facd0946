namespace Dso.Agent.Configuration;

/// <summary>The agent: section of dso.yaml, with the defaults filled in. Environment overrides are applied by <see cref="AgentPaths"/>.</summary>
internal sealed record AgentSettings
{
    public const string DefaultStateDirectory = "/var/lib/dso/state";

    public const string DefaultLockDirectory = "/var/lib/dso/locks";

    public const string DefaultApiAddress = "127.0.0.1:8471";

    public const string DefaultSocketPath = "/run/dso/dso.sock";

    public static readonly TimeSpan DefaultPollInterval = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan DefaultRetention = TimeSpan.FromDays(7);

    public static readonly TimeSpan DefaultStaleAfter = TimeSpan.FromMinutes(30);

    public static AgentSettings Default { get; } = new();

    /// <summary>How often providers are asked for new secret versions.</summary>
    public TimeSpan PollInterval { get; init; } = DefaultPollInterval;

    public string StateDirectory { get; init; } = DefaultStateDirectory;

    /// <summary>How long completed and recovered rotation records are kept in the journal.</summary>
    public TimeSpan Retention { get; init; } = DefaultRetention;

    public string LockDirectory { get; init; } = DefaultLockDirectory;

    /// <summary>Age after which a lock is stale even if its owner still runs.</summary>
    public TimeSpan StaleAfter { get; init; } = DefaultStaleAfter;

    /// <summary>host:port of the REST API, such as 127.0.0.1:8471 or [::1]:8471.</summary>
    public string ApiAddress { get; init; } = DefaultApiAddress;

    public string SocketPath { get; init; } = DefaultSocketPath;
}
