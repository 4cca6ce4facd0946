namespace Dso.Cli.Diagnostics;

/// <summary>
/// One check of dso doctor: what was found (<see cref="Detail"/>), and for a problem why it matters
/// (<see cref="Reason"/>) and how to fix it (<see cref="Fix"/>).
/// </summary>
internal sealed record DoctorCheck(string Name, DoctorStatus Status, string Detail, string? Reason = null, string? Fix = null)
{
    /// <summary>The changes --fix makes for this check.</summary>
    public IReadOnlyList<DoctorRepair> Repairs { get; init; } = [];

    /// <summary>The changes --fix made before this check ran again, or none without --fix.</summary>
    public IReadOnlyList<string> Repaired { get; init; } = [];

    public static DoctorCheck Ok(string name, string detail) => new(name, DoctorStatus.Ok, detail);
}
