namespace Dso.Agent.Configuration;

/// <summary>How one secret is injected. Path, owner and mode apply to file injection only.</summary>
internal sealed record InjectConfig
{
    public const string DefaultDirectory = "/run/secrets/dso";

    public const UnixFileMode DefaultFileMode = UnixFileMode.UserRead;

    public InjectMode As { get; init; } = InjectMode.File;

    /// <summary>
    /// For env: the variable that holds the value. For file: an optional variable that holds the file's path
    /// inside the container.
    /// </summary>
    public string? EnvironmentVariable { get; init; }

    /// <summary>The file's absolute path inside the container (file injection), else null.</summary>
    public string? FilePath { get; init; }

    /// <summary>Owner of the file, or null for the container's user.</summary>
    public int? Uid { get; init; }

    /// <summary>Group of the file, or null for the container user's group.</summary>
    public int? Gid { get; init; }

    public UnixFileMode FileMode { get; init; } = DefaultFileMode;
}
