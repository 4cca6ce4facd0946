namespace Dso.Cli.Commands.AgentSetup;

/// <summary>
/// One change of 'dso bootstrap agent'. A step is inspected before anything changes, applied only when it
/// creates something, and undone in reverse order when a later step fails. Undo removes only what this
/// step's Apply created.
/// </summary>
internal abstract class SetupStep
{
    /// <summary>Short kind of the step for output, such as "group", "directory" or "file".</summary>
    public abstract string Kind { get; }

    /// <summary>What the step acts on: a path or a group name.</summary>
    public abstract string Target { get; }

    /// <summary>
    /// Finds out what the step would do. It changes nothing, and it throws when the step cannot be done at all.
    /// <paramref name="plannedDirectories"/> contains the directories that earlier steps will create, and a step adds its own.
    /// </summary>
    public abstract StepPlan Inspect(ISet<string> plannedDirectories);

    public abstract void Apply();

    public abstract void Undo();
}
