namespace Dso.Cli.Commands.AgentSetup;

/// <summary>One step of a run with its plan, its result and, after a failure, the error.</summary>
internal sealed record StepOutcome(SetupStep Step, StepPlan Plan, StepResult Result, string? Error = null);
