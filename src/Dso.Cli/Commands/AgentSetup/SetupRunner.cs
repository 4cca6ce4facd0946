using Dso.Core;

namespace Dso.Cli.Commands.AgentSetup;

/// <summary>
/// Carries out the planned steps in order. When one fails, it and every step before it are undone in reverse
/// order, so that a failed run leaves the machine as it found it. Things that existed before the run are never touched.
/// </summary>
internal static class SetupRunner
{
    /// <summary>Inspects every step; throws <see cref="DsoException"/> before any change when a step cannot be done.</summary>
    public static IReadOnlyList<StepPlan> Inspect(IReadOnlyList<SetupStep> steps)
    {
        var plannedDirectories = new HashSet<string>(StringComparer.Ordinal);
        return steps.Select(step => step.Inspect(plannedDirectories)).ToList();
    }

    /// <summary>Applies the steps planned as Create and returns every step's outcome. <paramref name="failure"/> is set when a step failed.</summary>
    public static IReadOnlyList<StepOutcome> Apply(IReadOnlyList<SetupStep> steps, IReadOnlyList<StepPlan> plans, out Exception? failure)
    {
        var outcomes = new StepOutcome[steps.Count];
        failure = null;
        int failedAt = -1;
        for (int i = 0; i < steps.Count; i++)
        {
            StepPlan plan = plans[i];
            if (plan.Action != StepAction.Create)
            {
                outcomes[i] = new StepOutcome(steps[i], plan, plan.Action == StepAction.Keep ? StepResult.Kept : StepResult.Skipped);
                continue;
            }

            try
            {
                steps[i].Apply();
                outcomes[i] = new StepOutcome(steps[i], plan, StepResult.Created);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or DsoException)
            {
                failure = exception;
                failedAt = i;
                outcomes[i] = new StepOutcome(steps[i], plan, StepResult.Failed, exception.Message);
                break;
            }
        }

        if (failedAt < 0)
        {
            return outcomes;
        }

        for (int i = failedAt + 1; i < steps.Count; i++)
        {
            outcomes[i] = new StepOutcome(steps[i], plans[i], StepResult.NotRun);
        }

        for (int i = failedAt; i >= 0; i--)
        {
            if (plans[i].Action != StepAction.Create)
            {
                continue;
            }

            try
            {
                steps[i].Undo();
                if (i != failedAt)
                {
                    outcomes[i] = outcomes[i] with { Result = StepResult.Undone };
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or DsoException)
            {
                outcomes[i] = outcomes[i] with { Result = StepResult.UndoFailed, Error = exception.Message };
            }
        }

        return outcomes;
    }
}
