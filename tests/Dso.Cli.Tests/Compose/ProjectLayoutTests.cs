using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Compose;

/// <summary>
/// dso up finds the project's files, .env, relative paths and name exactly where plain Compose does, whatever the
/// working directory, and merges several -f files in order.
/// </summary>
[Collection(DockerCollectionDefinition.Name)]
public sealed class ProjectLayoutTests
{
    [Fact]
    public async Task Up_OtherWorkingDirectory_UsesProjectFiles()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        string suffix = Guid.NewGuid().ToString("N")[..12];

        // Compose names the project after its folder, lower-cased and without characters such as '.'.
        await using var project = new ComposeTestProject(home, directoryName: $"Projects/DsoTest.Rel-{suffix}", name: $"dsotestrel-{suffix}");
        await DsoCli.SetSecretAsync(home, "relative/token", "token from env_file");
        await DsoCli.SetSecretAsync(home, "relative/key", "key from dsofile");
        project.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                env_file: ./app.env
                volumes:
                  - ./data:/data:ro
                environment:
                  GREETING: ${GREETING}
                  KEY_FILE: dsofile://relative/key
            """);
        project.Write(".env", "GREETING=hello from the project's .env\n");
        project.Write("app.env", "TOKEN=dso://relative/token\n");
        project.Write("data/hello.txt", "relative volume");
        string workingDirectory = Path.Combine(home.Root, "elsewhere");
        Directory.CreateDirectory(workingDirectory);
        File.WriteAllText(Path.Combine(workingDirectory, ".env"), "GREETING=wrong .env from the working directory\n");
        string relativeComposeFile = Path.GetRelativePath(workingDirectory, Path.Combine(project.Directory, "compose.yml"));

        DsoResult up = await project.TryUpAsync(["-f", relativeComposeFile], workingDirectory);

        Assert.True(up.ExitCode == 0, $"dso up failed: {up}");
        string container = await project.ContainerAsync("app");
        Assert.Equal("hello from the project's .env", await EnvironmentValueAsync(container, "GREETING"));
        Assert.Equal("token from env_file", await EnvironmentValueAsync(container, "TOKEN"));
        Assert.Equal("key from dsofile", (await DockerCli.ExecOkAsync(container, "sh", "-c", "cat \"$KEY_FILE\"")).StandardOutput);
        Assert.Equal("relative volume", (await DockerCli.ExecOkAsync(container, "cat", "/data/hello.txt")).StandardOutput);

        DsoResult down = await project.DownAsync();

        Assert.True(down.ExitCode == 0, $"dso down failed: {down}");
        Assert.Empty(await DockerCli.ContainersOfProjectAsync(project.Name));
        Assert.False(Directory.Exists(project.SecretFileDirectory), $"dso down left {project.SecretFileDirectory}.");
    }

    [Fact]
    public async Task Up_SecondFileOption_OverridesFirstFile()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        await DsoCli.SetSecretAsync(home, "layered/base-token", "base token");
        await DsoCli.SetSecretAsync(home, "layered/prod-token", "prod token");
        await DsoCli.SetSecretAsync(home, "layered/kept", "kept from base");
        await DsoCli.SetSecretAsync(home, "layered/prod-key", "prod key");
        project.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                environment:
                  TOKEN: dso://layered/base-token
                  KEPT: dso://layered/kept
            """);

        // The override lives in a subfolder, but its relative env_file path is read from the project folder.
        project.Write("overrides/prod.yml", """
            services:
              app:
                env_file: ./prod.env
                environment:
                  TOKEN: dso://layered/prod-token
            """);
        project.Write("prod.env", "KEY_FILE=dsofile://layered/prod-key\n");

        await project.UpAsync("-f", "compose.yml", "-f", "overrides/prod.yml");

        string container = await project.ContainerAsync("app");
        Assert.Equal("prod token", await EnvironmentValueAsync(container, "TOKEN"));
        Assert.Equal("kept from base", await EnvironmentValueAsync(container, "KEPT"));
        Assert.Equal("/run/secrets/dso/layered/prod-key", await EnvironmentValueAsync(container, "KEY_FILE"));
        Assert.Equal("prod key", (await DockerCli.ExecOkAsync(container, "sh", "-c", "cat \"$KEY_FILE\"")).StandardOutput);
    }

    [Theory]
    [InlineData("")]
    [InlineData("version: \"3.8\"\n")]
    public async Task Up_NoSecretReferences_StartsProject(string versionLine)
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        project.Write("compose.yml", versionLine + """
            services:
              app:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                environment:
                  PLAIN: not a secret
            """);

        await project.UpAsync();

        string container = await project.ContainerAsync("app");
        Assert.Equal("not a secret", await EnvironmentValueAsync(container, "PLAIN"));
    }

    private static async Task<string> EnvironmentValueAsync(string container, string variable)
    {
        ProcessResult result = await DockerCli.ExecOkAsync(container, "sh", "-c", $"printf '%s' \"${variable}\"");
        return result.StandardOutput;
    }
}
