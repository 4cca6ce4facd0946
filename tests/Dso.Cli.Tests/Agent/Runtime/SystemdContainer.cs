using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Agent.Runtime;

/// <summary>
/// A container of the local image dso-systemd:latest (Debian bookworm, systemd 252 as PID 1) that talks to the
/// host's Docker engine through its socket and runs the published dso executable. Dispose stops systemd in
/// order (SIGRTMIN+3) and removes the container.
/// </summary>
public sealed class SystemdContainer : IAsyncDisposable
{
    public const string Image = "dso-systemd:latest";

    /// <summary>Where the dso executable is mounted; dso bootstrap agent writes this path into ExecStart.</summary>
    public const string ExecutablePath = "/usr/local/bin/dso";

    private static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(90);

    private SystemdContainer(string name)
    {
        Name = name;
    }

    public string Name { get; }

    /// <summary>
    /// Starts the container and waits until systemd reports the system running (or degraded).
    /// <paramref name="sharedDirectories"/> are bind-mounted at the same path as on the host, so that paths the
    /// agent hands to the host's engine as bind-mount sources are valid there.
    /// </summary>
    public static async Task<SystemdContainer> StartAsync(string name, IEnumerable<string> labels, IEnumerable<string> sharedDirectories)
    {
        await RequirePrerequisitesAsync();

        var arguments = new List<string> { "run", "--detach", "--name", name };
        foreach (string label in labels)
        {
            arguments.AddRange(["--label", label]);
        }

        // Flags that boot systemd 252 under Docker 20.10 on a cgroup v1 host (checked on such a host):
        // - every capability but CAP_SYS_RESOURCE instead of --privileged, because runc fails with "unable to
        //   apply caps" where the test runner's own bounding set lacks CAP_SYS_RESOURCE; systemd boots without it;
        // - no seccomp or AppArmor profile, so that systemd may mount file systems and create namespaces for
        //   the unit's ProtectSystem=, PrivateTmp= and RuntimeDirectory=;
        // - the host's cgroup tree writable, with the host cgroup namespace: systemd then manages only the
        //   container's own cgroup, /docker/ID, below which it creates init.scope and system.slice;
        // - tmpfs on /run and /run/lock, as systemd expects;
        // - no network: the agent reaches the engine through the socket and its API listens on loopback.
        arguments.AddRange(
        [
            "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
            "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
            "--cgroupns", "host", "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
            "--tmpfs", "/run", "--tmpfs", "/run/lock",
            "--network", "none",
            "--volume", "/var/run/docker.sock:/run/docker.sock",
            "--volume", $"{DsoCli.ExecutablePath}:{ExecutablePath}:ro",
        ]);
        foreach (string directory in sharedDirectories)
        {
            arguments.AddRange(["--volume", $"{directory}:{directory}"]);
        }

        arguments.Add(Image);
        await DockerCli.RunOkAsync([.. arguments]);

        var container = new SystemdContainer(name);
        try
        {
            await container.WaitForBootAsync();
        }
        catch
        {
            await container.DisposeAsync();
            throw;
        }

        return container;
    }

    public Task<ProcessResult> ExecAsync(params string[] command) => DockerCli.ExecAsync(Name, command);

    /// <summary>Runs a command in the container and fails the test with its output and the agent's journal when it exits non-zero.</summary>
    public async Task<ProcessResult> ExecOkAsync(params string[] command)
    {
        ProcessResult result = await ExecAsync(command);
        if (result.ExitCode != 0)
        {
            Assert.Fail($"{string.Join(' ', command)} failed in {Name}: {result}\n{await DescribeUnitAsync()}");
        }

        return result;
    }

    /// <summary>
    /// Runs sh -ec <paramref name="script"/> with <paramref name="environment"/> set, and fails the test when it
    /// exits non-zero. The failure message leaves out the environment, which may carry test secrets.
    /// </summary>
    public async Task<ProcessResult> ShellOkAsync(string script, IReadOnlyDictionary<string, string>? environment = null)
    {
        var arguments = new List<string> { "exec" };
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            arguments.AddRange(["--env", $"{key}={value}"]);
        }

        arguments.AddRange([Name, "sh", "-ec", script]);
        ProcessResult result = await DockerCli.RunAsync([.. arguments]);
        if (result.ExitCode != 0)
        {
            Assert.Fail($"This script failed in {Name} with exit code {result.ExitCode}:\n{script}\nstdout: {result.StandardOutput}\nstderr: {result.StandardError}");
        }

        return result;
    }

    /// <summary>Returns a property of a unit as systemctl show prints it, such as ActiveState or MainPID.</summary>
    public async Task<string> ShowAsync(string unit, string property)
    {
        ProcessResult result = await ExecOkAsync("systemctl", "show", "--property", property, "--value", unit);
        return result.StandardOutput.Trim();
    }

    /// <summary>The unit's journal entries as journalctl -o json prints them, oldest first.</summary>
    public async Task<IReadOnlyList<JsonElement>> JournalAsync(string unit)
    {
        ProcessResult result = await ExecOkAsync("journalctl", "--unit", unit, "--output", "json", "--no-pager");
        return DockerCli.Lines(result.StandardOutput).Select(line => JsonDocument.Parse(line).RootElement.Clone()).ToList();
    }

    /// <summary>systemctl status and the journal of dso-agent.service, for failure messages.</summary>
    public async Task<string> DescribeUnitAsync()
    {
        ProcessResult status = await ExecAsync("systemctl", "status", "--no-pager", "dso-agent.service");
        ProcessResult journal = await ExecAsync("journalctl", "--unit", "dso-agent.service", "--no-pager", "--lines", "60");
        return $"systemctl status:\n{status.StandardOutput}{status.StandardError}\njournal:\n{journal.StandardOutput}{journal.StandardError}";
    }

    public async ValueTask DisposeAsync()
    {
        // An orderly shutdown lets systemd remove the cgroups it created below the container's own.
        await DockerCli.RunAsync("stop", "--time", "20", Name);
        await DockerCli.RunAsync("rm", "--force", Name);
    }

    private static async Task RequirePrerequisitesAsync()
    {
        ProcessResult image = await DockerCli.RunAsync("image", "inspect", "--format", "{{.Id}}", Image);
        Assert.True(image.ExitCode == 0,
            $"The Docker image {Image} is missing (docker image inspect: {image.StandardError.Trim()}). Build it with 'bash scripts/systemd-image.sh', " +
            "which needs root, debootstrap and the Debian mirror of this machine's apt sources. scripts/test.sh, which CI runs, builds it before the tests.");

        // The apphost next to the tests needs the .NET runtime and its dso.dll, which the container lacks.
        string executable = DsoCli.ExecutablePath;
        const string publish = "Publish it with 'bash scripts/build.sh' and set DSO_TEST_EXECUTABLE to the resulting out/bin/dso.";
        Assert.True(File.Exists(executable), $"The dso executable {executable} is missing. {publish}");
        Assert.False(File.Exists(Path.Combine(Path.GetDirectoryName(executable)!, "dso.dll")),
            $"{executable} is the apphost of a framework-dependent build, so it cannot run inside {Image}. {publish}");
    }

    private async Task WaitForBootAsync()
    {
        // systemctl fails with "Failed to connect to bus" until systemd listens, then --wait blocks until start-up ends.
        await Poll.UntilAsync(async () =>
        {
            ProcessResult result = await ExecAsync("systemctl", "is-system-running", "--wait");
            string state = result.StandardOutput.Trim();
            if (state is "running" or "degraded")
            {
                return (true, state);
            }

            ProcessResult failed = await ExecAsync("systemctl", "--failed", "--no-pager", "--plain");
            return (false, $"{state} {result.StandardError.Trim()} {failed.StandardOutput.Trim()}");
        }, BootTimeout, $"systemd in container {Name} finishes booting");
    }
}
