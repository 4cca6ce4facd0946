using Dso.Compose.Diagnostics;

namespace Dso.Cli.Diagnostics;

/// <summary>The outcome of dso validate: what was checked and every finding, errors first.</summary>
internal sealed class ValidationReport
{
    public string? ConfigPath { get; set; }

    public string ConfigSource { get; set; } = "none";

    public required string VaultPath { get; init; }

    public string? Project { get; set; }

    public IReadOnlyList<string> ComposeFiles { get; set; } = [];

    /// <summary>The dso:// and dsofile:// references checked, counting each place once.</summary>
    public int ReferenceCount { get; set; }

    public List<Finding> Findings { get; } = [];

    public int Count(FindingSeverity severity) => Findings.Count(finding => finding.Severity == severity);

    public bool Ok => Count(FindingSeverity.Error) == 0;
}
