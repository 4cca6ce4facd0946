using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Compose;

/// <summary>dso up that cannot resolve or read the project exits with an error that points at the cause, and starts nothing.</summary>
[Collection(DockerCollectionDefinition.Name)]
public sealed class UpFailureTests
{
    [Fact]
    public async Task Up_MissingSecret_FailsAndStartsNothing()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        await DsoCli.SetSecretAsync(home, "shop/present", "here");
        string composeFile = project.Write("compose.yml", """
            services:
              db:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                environment:
                  PRESENT: dso://shop/present
              api:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                environment:
                  PRESENT_FILE: dsofile://shop/present
                  MISSING: dso://shop/missing
            """);

        DsoResult result = await project.TryUpAsync(["-p", project.Name]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("\"shop/missing\"", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("service \"api\"", result.StandardError, StringComparison.Ordinal);
        Assert.Contains($"{composeFile}:14", result.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain("\"shop/present\"", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(await DockerCli.ContainersOfProjectAsync(project.Name));
        Assert.False(Directory.Exists(project.SecretFileDirectory), $"A failed dso up left secret files in {project.SecretFileDirectory}.");
    }

    [Theory]
    [InlineData("invalid YAML", "      TOKEN: dso://shop/token: extra\n", "{file} is not valid YAML at line 8,")]
    [InlineData("mapping value", "      TOKEN:\n        nested: dso://shop/token\n", "{file}:9 ")]
    [InlineData("invalid secret name", "      TOKEN: dso://../shop/token\n", "{file}:8 ")]
    public async Task Up_BadComposeInput_FailsWithLocation(string problem, string environmentEntry, string expectedLocation)
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        await DsoCli.SetSecretAsync(home, "shop/token", "value");
        string composeFile = project.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                environment:
                  PLAIN: value
            """ + "\n" + environmentEntry);

        DsoResult result = await project.TryUpAsync(["-p", project.Name]);

        Assert.True(result.ExitCode != 0, $"dso up accepted {problem}: {result}");
        Assert.Contains(expectedLocation.Replace("{file}", composeFile, StringComparison.Ordinal), result.StandardError, StringComparison.Ordinal);
        Assert.Empty(await DockerCli.ContainersOfProjectAsync(project.Name));
    }

    [Fact]
    public async Task Up_SameFileSecretWithDifferentModes_FailsAndStartsNothing()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        await DsoCli.SetSecretAsync(home, "shop/key", "value");
        string composeFile = project.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                environment:
                  KEY_FILE: dsofile://shop/key?mode=0400
                  OTHER_KEY_FILE: dsofile://shop/key?mode=0444
            """);

        DsoResult result = await project.TryUpAsync(["-p", project.Name]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("\"shop/key\" twice", result.StandardError, StringComparison.Ordinal);
        Assert.Contains($"{composeFile}:7", result.StandardError, StringComparison.Ordinal);
        Assert.Contains($"{composeFile}:8", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(await DockerCli.ContainersOfProjectAsync(project.Name));
    }

    [Theory]
    [InlineData("nested names", "      A_FILE: dsofile://shop/col\n      B_FILE: dsofile://shop/col/sub\n", "would have to be both a file and a directory")]
    [InlineData("group name in user", "      A_FILE: dsofile://shop/col\n    user: \"1000:staff\"\n", "whose group is a name")]
    [InlineData("value too big for the environment", "      A_FILE: dsofile://shop/col\n      BIG: dso://shop/big\n", "more than an environment variable can carry")]
    [InlineData("NUL in an environment value", "      A_FILE: dsofile://shop/col\n      BIN: dso://shop/nul\n", "contains a NUL byte")]
    public async Task Up_RejectedProject_WritesNoSecretFile(string problem, string environmentEntries, string expectedMessage)
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        await DsoCli.SetSecretAsync(home, "shop/col", "file-value");
        await DsoCli.SetSecretAsync(home, "shop/col/sub", "nested-value");
        await DsoCli.RunOkAsync(home, ["secret", "set", "shop/big"], new byte[200 * 1024].Select(_ => (byte)'x').ToArray());
        await DsoCli.RunOkAsync(home, ["secret", "set", "shop/nul"], [(byte)'a', 0, (byte)'b']);
        project.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                environment:
            """ + "\n" + environmentEntries);

        DsoResult result = await project.TryUpAsync(["-p", project.Name]);

        Assert.True(result.ExitCode == 1, $"dso up accepted {problem}: {result}");
        Assert.Contains(expectedMessage, result.StandardError, StringComparison.Ordinal);
        Assert.False(Directory.Exists(project.SecretFileDirectory), $"dso up rejected {problem} but left secret files in {project.SecretFileDirectory}.");
        Assert.Empty(await DockerCli.ContainersOfProjectAsync(project.Name));
    }

    [Fact]
    public async Task Down_ComposeFails_KeepsSecretFiles()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        project.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
            """);
        string secretFile = Path.Combine(project.SecretFileDirectory, "app", "token");
        Directory.CreateDirectory(Path.GetDirectoryName(secretFile)!);
        await File.WriteAllTextAsync(secretFile, "still-in-use");

        DsoResult result = await DsoCli.RunAsync(home, ["down", "-p", project.Name], workingDirectory: project.Directory, environment: new Dictionary<string, string> { ["DSO_COMPOSE"] = "false" });

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("were kept", result.StandardError, StringComparison.Ordinal);
        Assert.True(File.Exists(secretFile), "dso down removed secret files although compose down failed.");
    }
}
