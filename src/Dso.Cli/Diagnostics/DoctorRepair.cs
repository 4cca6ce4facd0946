namespace Dso.Cli.Diagnostics;

/// <summary>A change dso doctor --fix can make: a permission or a missing directory, never anything else.</summary>
internal sealed record DoctorRepair(string Description, Action Apply);
