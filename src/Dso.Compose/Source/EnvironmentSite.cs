using Dso.Compose.Yaml;

namespace Dso.Compose.Source;

/// <summary>
/// One place that sets an environment variable of a service: a compose environment entry or list item, or a line
/// of an env_file. A place reached by several services (an anchor, a base service of extends, a shared env_file)
/// is one site.
/// </summary>
internal sealed record EnvironmentSite
{
    public required EnvironmentSiteKind Kind { get; init; }

    public required string Variable { get; init; }

    /// <summary>The compose file or env_file that contains the site.</summary>
    public required string File { get; init; }

    public required int Line { get; init; }

    /// <summary>
    /// The value as written, before interpolation: the text after "KEY: " or "KEY=" in a compose file, or the
    /// env_file value with quotes and escapes resolved. Null for a bare key, which takes its value from the
    /// environment Compose interpolates with.
    /// </summary>
    public string? RawValue { get; init; }

    /// <summary>The value Compose gives the variable, read by dso's rules, or null when the variable is unset.</summary>
    public string? Value { get; init; }

    /// <summary>The interpolation error that left <see cref="Value"/> unknown, such as a missing ${VAR:?message} variable.</summary>
    public string? InterpolationError { get; init; }

    /// <summary>The compose file's document, or null for an env_file line.</summary>
    public YamlSourceDocument? Document { get; init; }

    /// <summary>The key of a mapping entry.</summary>
    public YamlSourceScalar? KeyNode { get; init; }

    /// <summary>The value scalar of a mapping entry (null for "KEY:" with no value written) or the list item scalar.</summary>
    public YamlSourceScalar? ValueNode { get; init; }

    /// <summary>True when the site names the variable without a value, so Compose takes it from its environment.</summary>
    public bool IsBare => RawValue is null && Kind != EnvironmentSiteKind.EnvFileEntry;

    public string Location => $"{File}:{Line}";
}
