namespace Dso.Compose.Model;

/// <summary>Where a compose project's files are and how Compose names and interpolates it, before any service is read.</summary>
internal sealed record ComposeLayout
{
    /// <summary>The compose files in the order Compose merges them, as absolute paths.</summary>
    public required IReadOnlyList<string> Files { get; init; }

    /// <summary>The directory against which Compose resolves relative paths and finds .env.</summary>
    public required string ProjectDirectory { get; init; }

    /// <summary>The project name as Compose computes it, normalised.</summary>
    public required string ProjectName { get; init; }

    /// <summary>The .env files whose variables fill ${VAR} (each --env-file, else the project's .env when it exists).</summary>
    public required IReadOnlyList<string> EnvFiles { get; init; }

    /// <summary>Returns a variable's value for interpolation (the process environment first, then the env files), or null when it is unset.</summary>
    public required Func<string, string?> Lookup { get; init; }

    public required Func<string, string?> ProcessEnvironment { get; init; }
}
