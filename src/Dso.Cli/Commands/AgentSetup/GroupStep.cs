namespace Dso.Cli.Commands.AgentSetup;

/// <summary>The system group whose members may read dso.yaml and use the agent's socket.</summary>
internal sealed class GroupStep : SetupStep
{
    private readonly string _name;
    private bool _created;

    public GroupStep(string name)
    {
        _name = name;
    }

    public override string Kind => "group";

    public override string Target => _name;

    public override StepPlan Inspect(ISet<string> plannedDirectories) =>
        SystemGroups.FindId(_name) is { } gid
            ? StepPlan.Keep($"exists (gid {gid})")
            : StepPlan.Create("system group, with groupadd --system");

    public override void Apply()
    {
        SystemGroups.CreateSystemGroup(_name);
        _created = true;
    }

    public override void Undo()
    {
        if (_created)
        {
            SystemGroups.Delete(_name);
            _created = false;
        }
    }
}
