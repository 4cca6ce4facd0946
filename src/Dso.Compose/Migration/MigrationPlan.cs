using Dso.Compose.Diagnostics;
namespace Dso.Compose.Migration;

/// <summary>What dso migrate will do: the vault entries, the variables that change, the files it writes, and why.</summary>
internal sealed class MigrationPlan
{
    public required string Project { get; init; }

    /// <summary>The project's compose files (the -f files), which migrate never modifies.</summary>
    public required IReadOnlyList<string> ComposeFiles { get; init; }

    public required IReadOnlyList<PlannedSecret> Secrets { get; init; }

    public required IReadOnlyList<ServiceChange> Changes { get; init; }

    public required IReadOnlyList<PlainSetting> Plain { get; init; }

    public required IReadOnlyList<MigratedFile> Files { get; init; }

    /// <summary>The files to pass to 'dso up -f' after the migration, in merge order.</summary>
    public required IReadOnlyList<string> UpFiles { get; init; }

    /// <summary>Places that still hold a migrated value in plaintext, such as ".env:3 (DB_PASSWORD)", for the user to remove.</summary>
    public required IReadOnlyList<string> PlaintextLeftBehind { get; init; }

    public required IReadOnlyList<Finding> Findings { get; init; }

    public bool HasErrors => Findings.Any(finding => finding.Severity == FindingSeverity.Error);
}
