using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Compose;

/// <summary>
/// Shared by every Docker test: checks once that an engine responds and that the base image exists, and builds one
/// image whose USER is the non-root user app (uid 1000), removed when the tests end.
/// </summary>
public sealed class DockerComposeFixture : IAsyncLifetime
{
    /// <summary>The base image: busybox on scratch, with users root (0) and app (1000) in /etc/passwd.</summary>
    public const string BaseImage = "dso-busybox:latest";

    /// <summary>An image built from <see cref="BaseImage"/> whose USER is app, so a service without user: runs as 1000.</summary>
    public string AppUserImage { get; } = $"dsotest-compose-app:{Guid.NewGuid():N}";

    public async Task InitializeAsync()
    {
        ProcessResult version = await DockerCli.RunAsync("version", "--format", "{{.Server.Version}}");
        Assert.True(version.ExitCode == 0, $"No Docker engine responds. Run scripts/ensure-docker.sh, which starts one. {version}");

        ProcessResult baseImage = await DockerCli.RunAsync("image", "inspect", "--format", "{{.Id}}", BaseImage);
        Assert.True(baseImage.ExitCode == 0, $"The image {BaseImage} is missing. Run scripts/ensure-docker.sh, which builds it. {baseImage}");

        string context = Directory.CreateTempSubdirectory("dsotest-image-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(context, "Dockerfile"), $"FROM {BaseImage}\nUSER app\n");
            await DockerCli.RunOkAsync("build", "--quiet", "--tag", AppUserImage, context);
        }
        finally
        {
            Directory.Delete(context, recursive: true);
        }
    }

    public async Task DisposeAsync()
    {
        await DockerCli.RunAsync("image", "rm", "--force", AppUserImage);
    }
}
