namespace Dso.Cli.Tests.Infrastructure;

/// <summary>
/// The docker CLI, run as a separate process: the tests check containers the way an operator would, with
/// docker ps, exec and inspect.
/// </summary>
public static class DockerCli
{
    public const string ProjectLabel = "com.docker.compose.project";
    public const string ServiceLabel = "com.docker.compose.service";

    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    public static Task<ProcessResult> RunAsync(params string[] arguments) =>
        ExternalProcess.RunAsync("docker", arguments, Timeout, new Dictionary<string, string> { ["DOCKER_BUILDKIT"] = "0" });

    /// <summary>Runs docker and fails the test when it exits non-zero.</summary>
    public static async Task<ProcessResult> RunOkAsync(params string[] arguments)
    {
        ProcessResult result = await RunAsync(arguments);
        Assert.True(result.ExitCode == 0, $"docker {string.Join(' ', arguments)} failed: {result}");
        return result;
    }

    /// <summary>Lists the ids of every container, running or not, that carries a label.</summary>
    public static async Task<IReadOnlyList<string>> ContainersWithLabelAsync(string label, string value)
    {
        ProcessResult result = await RunOkAsync("ps", "--all", "--quiet", "--no-trunc", "--filter", $"label={label}={value}");
        return Lines(result.StandardOutput);
    }

    public static Task<IReadOnlyList<string>> ContainersOfProjectAsync(string project) => ContainersWithLabelAsync(ProjectLabel, project);

    /// <summary>Returns the id of the one container of a compose service.</summary>
    public static async Task<string> ContainerOfServiceAsync(string project, string service)
    {
        ProcessResult result = await RunOkAsync(
            "ps", "--all", "--quiet", "--no-trunc", "--filter", $"label={ProjectLabel}={project}", "--filter", $"label={ServiceLabel}={service}");
        IReadOnlyList<string> ids = Lines(result.StandardOutput);
        Assert.True(ids.Count == 1, $"Expected one container of service {service} in project {project}, found {ids.Count}.");
        return ids[0];
    }

    /// <summary>Runs a command in a container as the container's own user.</summary>
    public static Task<ProcessResult> ExecAsync(string container, params string[] command) =>
        RunAsync(["exec", container, .. command]);

    public static Task<ProcessResult> ExecAsUserAsync(string container, string user, params string[] command) =>
        RunAsync(["exec", "--user", user, container, .. command]);

    /// <summary>Runs a command in a container and fails the test when it exits non-zero.</summary>
    public static async Task<ProcessResult> ExecOkAsync(string container, params string[] command)
    {
        ProcessResult result = await ExecAsync(container, command);
        Assert.True(result.ExitCode == 0, $"docker exec {string.Join(' ', command)} failed: {result}");
        return result;
    }

    /// <summary>Returns docker inspect output for a Go template, without the trailing newline.</summary>
    public static async Task<string> InspectAsync(string target, string format)
    {
        ProcessResult result = await RunOkAsync("inspect", "--format", format, target);
        return result.StandardOutput.TrimEnd('\n');
    }

    /// <summary>Removes every container and network of a compose project; used by cleanup after dso down.</summary>
    public static async Task RemoveProjectAsync(string project)
    {
        IReadOnlyList<string> containers = await ContainersOfProjectAsync(project);
        if (containers.Count > 0)
        {
            await RunAsync(["rm", "--force", "--volumes", .. containers]);
        }

        ProcessResult networks = await RunAsync("network", "ls", "--quiet", "--filter", $"label={ProjectLabel}={project}");
        IReadOnlyList<string> networkIds = Lines(networks.StandardOutput);
        if (networkIds.Count > 0)
        {
            await RunAsync(["network", "rm", .. networkIds]);
        }
    }

    public static IReadOnlyList<string> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
