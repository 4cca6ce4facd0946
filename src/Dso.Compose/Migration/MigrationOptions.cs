namespace Dso.Compose.Migration;

/// <summary>The options of dso migrate, the vault's current entries and Compose's own reading of the project.</summary>
internal sealed record MigrationOptions
{
    /// <summary>The first segment of every vault name (default: the Compose project name).</summary>
    public required string Project { get; init; }

    /// <summary>Variables to treat as secrets whatever their name (--secret).</summary>
    public IReadOnlySet<string> Secret { get; init; } = new HashSet<string>();

    /// <summary>Variables to leave as plain configuration whatever their name (--plain).</summary>
    public IReadOnlySet<string> Plain { get; init; } = new HashSet<string>();

    /// <summary>Variables to deliver as files (--as-file): VAR becomes VAR_FILE with a dsofile:// reference.</summary>
    public IReadOnlySet<string> AsFile { get; init; } = new HashSet<string>();

    /// <summary>The vault's entries by name, or null when the vault does not exist yet.</summary>
    public IReadOnlyDictionary<string, byte[]>? VaultEntries { get; init; }

    /// <summary>Replace vault entries and migrated files that differ from what this run would write (--force).</summary>
    public bool Force { get; init; }

    /// <summary>
    /// The environment Compose itself gives each service, from 'docker compose config': service, then variable, then
    /// value (null for a variable without a value). Null when Compose could not be run, and dso's own reading is
    /// used instead.
    /// </summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>>? ComposeEnvironment { get; init; }

    /// <summary>The Compose program that produced <see cref="ComposeEnvironment"/>, for messages, such as "docker-compose 1.29.2".</summary>
    public string ComposeName { get; init; } = "Compose";
}
