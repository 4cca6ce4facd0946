namespace Dso.Compose.Source;

/// <summary>How an environment variable is written where it is set.</summary>
internal enum EnvironmentSiteKind
{
    /// <summary>An entry of an environment mapping in a compose file: KEY: value.</summary>
    MappingEntry,

    /// <summary>An item of an environment list in a compose file: - KEY=value.</summary>
    ListItem,

    /// <summary>A line of a file named by env_file.</summary>
    EnvFileEntry,
}
