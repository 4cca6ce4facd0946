namespace Dso.Cli.Commands.AgentSetup;

/// <summary>What happened to one step in a run of 'dso bootstrap agent'.</summary>
internal enum StepResult
{
    /// <summary>Dry run: the step would be carried out as planned.</summary>
    Planned,

    Created,

    Kept,

    Skipped,

    /// <summary>The step failed; whatever part of it was done has been undone.</summary>
    Failed,

    /// <summary>The step was done, then undone because a later step failed.</summary>
    Undone,

    /// <summary>Undoing the step failed; what it created is still there.</summary>
    UndoFailed,

    /// <summary>The step was not reached because an earlier one failed.</summary>
    NotRun,
}
