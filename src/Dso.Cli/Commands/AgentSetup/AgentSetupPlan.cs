using System.Text;
using Dso.Agent.Configuration;

namespace Dso.Cli.Commands.AgentSetup;

/// <summary>The steps that set up agent mode, in the order they run, and the config they rest on.</summary>
internal sealed record AgentSetupPlan
{
    private const UnixFileMode Mode0750 =
        UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;

    private const UnixFileMode Mode0700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private const UnixFileMode Mode0660 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite;

    private const UnixFileMode Mode0644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private const UnixFileMode Mode0755 = Mode0750 | UnixFileMode.OtherRead | UnixFileMode.OtherExecute;

    public required AgentPaths Paths { get; init; }

    /// <summary>The config the agent will load: the existing dso.yaml, or the template that is written when there is none.</summary>
    public required AgentConfig Config { get; init; }

    /// <summary>True when dso.yaml did not exist and the template will be written; false when the existing file is kept.</summary>
    public required bool WritesConfig { get; init; }

    public required IReadOnlyList<SetupStep> Steps { get; init; }

    /// <summary>
    /// Builds the steps: group, /etc/dso (0750 root:dso), dso.yaml (0660 root:dso), /var/lib/dso (0750 root:dso),
    /// state and locks (0700 root:root), the systemd unit (0644 root:root), and enabling the service.
    /// </summary>
    public static AgentSetupPlan Create(AgentPaths paths, AgentConfig config, string? configTemplate, string executable, bool dockerGroupExists)
    {
        var group = new Ownership(paths.Group);
        var steps = new List<SetupStep>
        {
            new GroupStep(paths.Group),
            new DirectoryStep(paths.EtcDirectory, Mode0750, group),
        };
        steps.Add(new FileStep(paths.ConfigPath, configTemplate is null ? null : Encoding.UTF8.GetBytes(configTemplate), Mode0660, group, "agent-mode config", compareExisting: false));

        steps.AddRange(SystemdUnit.DataDirectories(paths).Select(directory => new DirectoryStep(directory, Mode0750, group)));
        steps.Add(new DirectoryStep(paths.StateDirectory, Mode0700, Ownership.Root));
        steps.Add(new DirectoryStep(paths.LockDirectory, Mode0700, Ownership.Root));
        steps.Add(new DirectoryStep(paths.SystemdDirectory, Mode0755, Ownership.Root));
        steps.Add(new FileStep(paths.UnitPath, Encoding.UTF8.GetBytes(SystemdUnit.Render(paths, executable, dockerGroupExists)), Mode0644, Ownership.Root, "systemd unit", compareExisting: true));
        steps.Add(new SystemdStep(paths, executable));

        return new AgentSetupPlan { Paths = paths, Config = config, WritesConfig = configTemplate is not null, Steps = steps };
    }
}
