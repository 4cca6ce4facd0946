using System.Text;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Compose;

/// <summary>dso up delivers dso:// and dsofile:// secrets into running containers, checked from inside them.</summary>
[Collection(DockerCollectionDefinition.Name)]
public sealed class SecretDeliveryTests
{
    // A value with characters that interpolation or a shell would change if dso passed it on carelessly.
    private const string Token = "tok en=1 $HOME $$ ${DSO_VALUE_0} 'q' \"dq\" \\ end";

    private static readonly byte[] Password = Encoding.UTF8.GetBytes("line one\n  indented\twith tab\n\n");

    private const string ComposeFile = """
        services:
          app:
            image: dso-busybox:latest
            init: true
            command: ["sleep", "3600"]
            user: "1234:2345"
            environment:
              API_TOKEN: dso://shop/api-token
              DB_PASSWORD_FILE: dsofile://shop/db/password
        """;

    private readonly DockerComposeFixture _docker;

    public SecretDeliveryTests(DockerComposeFixture docker)
    {
        _docker = docker;
    }

    [Fact]
    public async Task Up_EnvAndFileReferences_DeliverValues()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        await DsoCli.SetSecretAsync(home, "shop/api-token", Token);
        await DsoCli.RunOkAsync(home, ["secret", "set", "shop/db/password"], Password);
        project.Write("compose.yml", ComposeFile);

        await project.UpAsync();

        string container = await project.ContainerAsync("app");
        ProcessResult token = await DockerCli.ExecOkAsync(container, "sh", "-c", "printf '%s' \"$API_TOKEN\"");
        Assert.Equal(Token, token.StandardOutput);
        ProcessResult path = await DockerCli.ExecOkAsync(container, "sh", "-c", "printf '%s' \"$DB_PASSWORD_FILE\"");
        Assert.Equal("/run/secrets/dso/shop/db/password", path.StandardOutput);
        ProcessResult password = await DockerCli.ExecOkAsync(container, "sh", "-c", "cat \"$DB_PASSWORD_FILE\"");
        Assert.Equal(Password, password.StandardOutputBytes);
    }

    [Fact]
    public async Task Up_FileSecret_OwnedByUserReadOnly()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        await DsoCli.SetSecretAsync(home, "shop/api-token", Token);
        await DsoCli.RunOkAsync(home, ["secret", "set", "shop/db/password"], Password);
        project.Write("compose.yml", ComposeFile);

        await project.UpAsync();

        string container = await project.ContainerAsync("app");
        ProcessResult stat = await DockerCli.ExecOkAsync(container, "sh", "-c", "stat -c '%u %g %a' \"$DB_PASSWORD_FILE\"");
        Assert.Equal("1234 2345 400\n", stat.StandardOutput);
        ProcessResult listing = await DockerCli.ExecOkAsync(container, "ls", "-ln", "/run/secrets/dso/shop/db");
        Assert.Matches(@"^-r-------- +1 +1234 +2345 ", DockerCli.Lines(listing.StandardOutput).Single(line => line.EndsWith(" password", StringComparison.Ordinal)));

        // Root ignores file modes, so a write that fails for root fails because the mount is read-only.
        ProcessResult write = await DockerCli.ExecAsUserAsync(container, "0", "sh", "-c", "echo changed > \"$DB_PASSWORD_FILE\"");
        Assert.NotEqual(0, write.ExitCode);
        Assert.Contains("Read-only file system", write.StandardError, StringComparison.Ordinal);
        ProcessResult remove = await DockerCli.ExecAsUserAsync(container, "0", "rm", "-f", "/run/secrets/dso/shop/db/password");
        Assert.NotEqual(0, remove.ExitCode);
        ProcessResult mounts = await DockerCli.ExecOkAsync(container, "cat", "/proc/mounts");
        string mount = DockerCli.Lines(mounts.StandardOutput).Single(line => line.Split(' ')[1] == "/run/secrets/dso");
        Assert.Contains("ro", mount.Split(' ')[3].Split(','));
    }

    [Fact]
    public async Task Up_NonRootUsers_ReadOwnFiles()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        await DsoCli.SetSecretAsync(home, "users/key", "non-root can read");
        project.Write("compose.yml", $$"""
            services:
              numeric:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                user: "1000:1000"
                environment:
                  KEY_FILE: dsofile://users/key
              named:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                user: app
                environment:
                  KEY_FILE: dsofile://users/key
              image-user:
                image: {{_docker.AppUserImage}}
                init: true
                command: ["sleep", "3600"]
                environment:
                  KEY_FILE: dsofile://users/key
            """);

        await project.UpAsync();

        foreach (string service in new[] { "numeric", "named", "image-user" })
        {
            string container = await project.ContainerAsync(service);
            ProcessResult id = await DockerCli.ExecOkAsync(container, "id", "-u");
            Assert.Equal("1000\n", id.StandardOutput);
            ProcessResult stat = await DockerCli.ExecOkAsync(container, "sh", "-c", "stat -c '%u %g %a' \"$KEY_FILE\"");
            Assert.Equal("1000 1000 400\n", stat.StandardOutput);
            ProcessResult read = await DockerCli.ExecOkAsync(container, "sh", "-c", "cat \"$KEY_FILE\"");
            Assert.Equal("non-root can read", read.StandardOutput);
        }
    }

    [Fact]
    public async Task Up_FileOptions_SetOwnerAndMode()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        await DsoCli.SetSecretAsync(home, "options/group-key", "group readable");
        await DsoCli.SetSecretAsync(home, "options/other-key", "owned by someone else");
        project.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                user: "1000:1000"
                environment:
                  GROUP_FILE: dsofile://options/group-key?uid=0&gid=1000&mode=0440
                  OTHER_FILE: dsofile://options/other-key?uid=2000&mode=0440
            """);

        await project.UpAsync();

        string container = await project.ContainerAsync("app");
        ProcessResult groupStat = await DockerCli.ExecOkAsync(container, "sh", "-c", "stat -c '%u %g %a' \"$GROUP_FILE\"");
        Assert.Equal("0 1000 440\n", groupStat.StandardOutput);

        // The container user (1000:1000) owns neither file, so only the group bit of 0440 lets it read the first.
        ProcessResult groupRead = await DockerCli.ExecOkAsync(container, "sh", "-c", "cat \"$GROUP_FILE\"");
        Assert.Equal("group readable", groupRead.StandardOutput);

        // Without gid=, dso uses the uid as the group.
        ProcessResult otherStat = await DockerCli.ExecOkAsync(container, "sh", "-c", "stat -c '%u %g %a' \"$OTHER_FILE\"");
        Assert.Equal("2000 2000 440\n", otherStat.StandardOutput);
        ProcessResult otherRead = await DockerCli.ExecAsync(container, "sh", "-c", "cat \"$OTHER_FILE\"");
        Assert.NotEqual(0, otherRead.ExitCode);
        Assert.Contains("Permission denied", otherRead.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_TargetedServiceWithProfile_DeliversSecret()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await using var project = new ComposeTestProject(home);
        await DsoCli.SetSecretAsync(home, "debug/token", "debug token");
        project.Write("compose.yml", """
            services:
              debug:
                image: dso-busybox:latest
                init: true
                command: ["sleep", "3600"]
                profiles: [debug]
                environment:
                  TOKEN: dso://debug/token
            """);

        // No --profile: Compose starts a service named on the command line whatever its profiles.
        await project.UpAsync("debug");

        string container = await project.ContainerAsync("debug");
        ProcessResult token = await DockerCli.ExecOkAsync(container, "sh", "-c", "printf '%s' \"$TOKEN\"");
        Assert.Equal("debug token", token.StandardOutput);
    }
}
