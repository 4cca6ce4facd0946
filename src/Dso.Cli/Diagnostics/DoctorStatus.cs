namespace Dso.Cli.Diagnostics;

internal enum DoctorStatus
{
    Ok,

    /// <summary>Works, but something needs a look. A warning does not fail dso doctor.</summary>
    Warning,

    /// <summary>Something dso needs is broken, so dso doctor exits 1.</summary>
    Error,

    /// <summary>Not checked here, with the reason in the detail.</summary>
    Skipped,
}
