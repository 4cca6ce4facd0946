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
}
