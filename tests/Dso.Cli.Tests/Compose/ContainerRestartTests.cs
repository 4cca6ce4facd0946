using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Compose;

/// <summary>
/// Secret files outlive dso up: a container that Docker restarts after dso has exited still finds them, because
/// they sit on tmpfs and are bind-mounted rather than fed by a process that lives as long as dso up.
/// </summary>
[Collection(DockerCollectionDefinition.Name)]
public sealed class ContainerRestartTests
{
    private static readonly TimeSpan RestartTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task DockerRestart_Container_StillReadsFile()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        await DsoCli.SetSecretAsync(home, "restart/key", "survives docker restart");
        project.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                environment:
                  KEY_FILE: dsofile://restart/key
            """);
        await project.UpAsync();
        string container = await project.ContainerAsync("app");
        string startedBefore = await DockerCli.InspectAsync(container, "{{.State.StartedAt}}");

        await DockerCli.RunOkAsync("restart", "--time", "1", container);

        Assert.NotEqual(startedBefore, await DockerCli.InspectAsync(container, "{{.State.StartedAt}}"));
        Assert.Equal("true", await DockerCli.InspectAsync(container, "{{.State.Running}}"));
        ProcessResult read = await DockerCli.ExecOkAsync(container, "sh", "-c", "cat \"$KEY_FILE\"");
        Assert.Equal("survives docker restart", read.StandardOutput);
    }

    [Fact]
    public async Task RestartPolicy_ExitedProcess_ReadsFileAfterRestart()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        const string value = "read at every start";
        await DsoCli.SetSecretAsync(home, "restart/key", value);

        // Each start records the checksum of the file it read (never the value, which would then sit in the
        // container's writable layer). The first start exits with an error, and the second stays up.
        project.Write("compose.yml", """
            services:
              crashing:
                image: dso-busybox:latest
                init: true
                restart: always
                environment:
                  KEY_FILE: dsofile://restart/key
                command:
                  - sh
                  - -c
                  - sha256sum "$$KEY_FILE" >> /tmp/starts || exit 2; [ "$$(wc -l < /tmp/starts)" -ge 2 ] && exec sleep 3600; exit 1
            """);

        await project.UpAsync();

        string container = await project.ContainerAsync("crashing");
        await Poll.UntilAsync(
            async () =>
            {
                string state = await DockerCli.InspectAsync(container, "{{.RestartCount}} {{.State.Running}}");
                string[] parts = state.Split(' ');
                return (int.Parse(parts[0], CultureInfo.InvariantCulture) >= 1 && parts[1] == "true", state);
            },
            RestartTimeout,
            "Docker has restarted the exited container and it runs");

        // Running only means the second start began; its line is appended a moment later.
        ProcessResult starts = null!;
        await Poll.UntilAsync(
            async () =>
            {
                starts = await DockerCli.ExecAsync(container, "cat", "/tmp/starts");
                return (starts.ExitCode == 0 && DockerCli.Lines(starts.StandardOutput).Count >= 2, starts.StandardOutput);
            },
            RestartTimeout,
            "the restarted container has recorded its second start");
        string expectedLine = $"{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(value)))}  /run/secrets/dso/restart/key";
        Assert.Equal([expectedLine, expectedLine], DockerCli.Lines(starts.StandardOutput));
    }
}
