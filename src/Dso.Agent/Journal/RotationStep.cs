namespace Dso.Agent.Journal;

/// <summary>The steps a rotation passes through, in order; the last four are terminal or recovery states.</summary>
internal enum RotationStep
{
    Planned,
    NewContainerCreated,
    Started,
    Healthy,
    Swapped,
    OldRemoved,
    Completed,
    Failed,
    RolledBack,
    Recovered,
}

internal static class RotationSteps
{
    /// <summary>True for steps after which nothing is left to finish or roll back.</summary>
    public static bool IsTerminal(this RotationStep step) =>
        step is RotationStep.Completed or RotationStep.RolledBack or RotationStep.Recovered;
}
