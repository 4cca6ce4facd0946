using System.Text.RegularExpressions;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Compose;

/// <summary>dso up warns once per project that dso:// values are visible in docker inspect, and only when it uses them.</summary>
[Collection(DockerCollectionDefinition.Name)]
public sealed class InspectNoticeTests
{
    private const string Notice = "visible in 'docker inspect'";

    [Fact]
    public async Task Up_EnvironmentSecretsInTwoServices_NoticeOnce()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        await DsoCli.SetSecretAsync(home, "notice/a", "a");
        await DsoCli.SetSecretAsync(home, "notice/b", "b");
        project.Write("compose.yml", """
            services:
              first:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                environment:
                  A: dso://notice/a
                  B: dso://notice/b
              second:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                environment:
                  A: dso://notice/a
                  B_FILE: dsofile://notice/b
            """);

        DsoResult result = await project.UpAsync();

        Assert.Equal(1, Regex.Count(result.StandardError, Regex.Escape(Notice)));
        Assert.Contains($"project \"{project.Name}\"", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_OnlyFileSecrets_NoNotice()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        await DsoCli.SetSecretAsync(home, "notice/a", "a");
        project.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                environment:
                  A_FILE: dsofile://notice/a
            """);

        DsoResult result = await project.UpAsync();

        Assert.DoesNotContain(Notice, result.StandardError, StringComparison.Ordinal);
        Assert.NotEmpty(await DockerCli.ContainersOfProjectAsync(project.Name));
    }
}
