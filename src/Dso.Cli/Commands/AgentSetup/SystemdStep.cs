using Dso.Agent.Configuration;

namespace Dso.Cli.Commands.AgentSetup;

/// <summary>
/// Enables and starts dso-agent.service with systemctl when systemd runs this machine and the unit is in one of
/// its unit directories. Otherwise the step is skipped, with instructions for starting the agent by hand.
/// </summary>
internal sealed class SystemdStep : SetupStep
{
    /// <summary>Exists only while systemd is the init system (sd_booted(3)).</summary>
    private const string SystemdRunningMarker = "/run/systemd/system";

    private readonly AgentPaths _paths;
    private readonly string _executable;
    private bool _enabled;

    public SystemdStep(AgentPaths paths, string executable)
    {
        _paths = paths;
        _executable = executable;
    }

    public override string Kind => "service";

    public override string Target => AgentPaths.UnitFileName;

    public override StepPlan Inspect(ISet<string> plannedDirectories)
    {
        string byHand = _paths.IsDefaultEtcDirectory ? $"{_executable} agent" : $"DSO_CONFIG={_paths.ConfigPath} {_executable} agent";
        if (!SystemdUnit.SearchPath.Contains(_paths.SystemdDirectory))
        {
            return StepPlan.Skip($"{_paths.SystemdDirectory} is not a directory systemd loads units from, so the service was not enabled. Start the agent by hand as root: {byHand}");
        }

        if (!Directory.Exists(SystemdRunningMarker))
        {
            return StepPlan.Skip($"systemd is not running on this machine ({SystemdRunningMarker} is missing), so the service was not enabled or started. Start the agent by hand as root: {byHand}; or, on a host where systemd runs: systemctl enable --now {AgentPaths.UnitFileName}");
        }

        bool enabled = ExternalCommand.Run("systemctl", "is-enabled", "--quiet", AgentPaths.UnitFileName).ExitCode == 0;
        bool active = ExternalCommand.Run("systemctl", "is-active", "--quiet", AgentPaths.UnitFileName).ExitCode == 0;
        return enabled && active
            ? StepPlan.Keep("enabled and running")
            : StepPlan.Create($"systemctl daemon-reload, then systemctl enable --now {AgentPaths.UnitFileName}");
    }

    public override void Apply()
    {
        ExternalCommand.RunChecked("systemctl", "daemon-reload");
        _enabled = true;
        ExternalCommand.RunChecked("systemctl", "enable", "--now", AgentPaths.UnitFileName);
    }

    public override void Undo()
    {
        if (_enabled)
        {
            // NOTE: systemd keeps the unit loaded until its next daemon-reload, after the unit file step below removes the file.
            ExternalCommand.RunChecked("systemctl", "disable", "--now", AgentPaths.UnitFileName);
            _enabled = false;
        }
    }
}
