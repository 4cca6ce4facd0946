namespace Dso.Cli.Commands.AgentSetup;

/// <summary>The outcome of inspecting one step: its action, a short detail such as "directory 0750 root:dso", and warnings about what exists.</summary>
internal sealed record StepPlan(StepAction Action, string Detail, IReadOnlyList<string> Warnings)
{
    public static StepPlan Create(string detail) => new(StepAction.Create, detail, []);

    public static StepPlan Keep(string detail, params string[] warnings) => new(StepAction.Keep, detail, warnings);

    public static StepPlan Skip(string detail) => new(StepAction.Skip, detail, []);
}
