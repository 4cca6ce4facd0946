namespace Dso.Cli.Diagnostics;

/// <summary>The checks of one dso doctor run and the changes --fix made, with any repair that failed.</summary>
internal sealed class DoctorReport
{
    public List<DoctorCheck> Checks { get; } = [];

    public List<string> Changes { get; } = [];

    public List<string> FailedRepairs { get; } = [];

    public bool Ok => Checks.All(check => check.Status != DoctorStatus.Error) && FailedRepairs.Count == 0;
}
