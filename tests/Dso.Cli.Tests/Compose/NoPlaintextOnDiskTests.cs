using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Compose;

/// <summary>
/// Canary values, stored once as an environment secret and once as a file secret, must reach no disk file that dso
/// controls: not the project folder, /tmp or the dso home, during dso up or after dso down. The file canary must not
/// reach Docker's data root either, which keeps environment values by Docker's design.
/// </summary>
[Collection(DockerCollectionDefinition.Name)]
public sealed class NoPlaintextOnDiskTests
{
    [Fact]
    public async Task UpThenDown_Canaries_NeverReachDisk()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        string environmentCanary = "dsocanaryenv" + Guid.NewGuid().ToString("N");
        string fileCanary = "dsocanaryfile" + Guid.NewGuid().ToString("N");
        await DsoCli.SetSecretAsync(home, "canary/env", environmentCanary);
        await DsoCli.SetSecretAsync(home, "canary/file", fileCanary);
        project.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                environment:
                  ENV_CANARY: dso://canary/env
                  FILE_CANARY_FILE: dsofile://canary/file
            """);
        string dockerRoot = (await DockerCli.RunOkAsync("info", "--format", "{{.DockerRootDir}}")).StandardOutput.Trim();
        string[] diskRootsOutsideDocker = [project.Directory, home.Home, "/tmp", Path.GetTempPath()];

        // While the project is up: both canaries reached the container.
        await project.UpAsync();
        string container = await project.ContainerAsync("app");
        ProcessResult environmentValue = await DockerCli.ExecOkAsync(container, "sh", "-c", "printf '%s' \"$ENV_CANARY\"");
        Assert.Equal(environmentCanary, environmentValue.StandardOutput);
        ProcessResult fileValue = await DockerCli.ExecOkAsync(container, "sh", "-c", "cat \"$FILE_CANARY_FILE\"");
        Assert.Equal(fileCanary, fileValue.StandardOutput);

        // docker inspect shows environment values by Docker's design, which proves this check can see a value.
        string inspect = (await DockerCli.RunOkAsync("inspect", container)).StandardOutput;
        Assert.Contains(environmentCanary, inspect, StringComparison.Ordinal);
        Assert.DoesNotContain(fileCanary, inspect, StringComparison.Ordinal);

        // Docker stores the container's environment in its data root, which proves the scan can find a value there.
        Assert.NotEmpty(await FileContentScanner.FindFilesContainingAsync(environmentCanary, [dockerRoot]));
        Assert.Empty(await FileContentScanner.FindFilesContainingAsync(fileCanary, [dockerRoot]));
        Assert.True(Directory.Exists(project.SecretFileDirectory), $"The secret-file folder {project.SecretFileDirectory} is missing while the project is up.");

        DsoResult down = await project.DownAsync();

        Assert.True(down.ExitCode == 0, $"dso down failed: {down}");
        Assert.False(Directory.Exists(project.SecretFileDirectory), $"dso down left the secret-file folder {project.SecretFileDirectory}.");
        Assert.Empty(await FileContentScanner.FindFilesContainingAsync(fileCanary, [.. diskRootsOutsideDocker, dockerRoot]));

        // Docker keeps the environment of a removed container in its data root: the freed pages of containerd's
        // metadata database (DockerRootDir/containerd/daemon/io.containerd.metadata.v1.bolt/meta.db) still contain
        // it with docker.io 20.10. That is why dso:// values are checked outside the data root only.
        Assert.Empty(await FileContentScanner.FindFilesContainingAsync(environmentCanary, diskRootsOutsideDocker));
    }
}
