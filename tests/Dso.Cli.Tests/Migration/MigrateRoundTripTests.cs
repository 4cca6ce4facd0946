using System.Text;
using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Migration;

/// <summary>
/// Runs real projects with docker-compose, migrates them with the real dso, runs them again with dso up, and
/// compares what each container sees. Every container is removed at the end, even when an assertion fails.
/// </summary>
public sealed class MigrateRoundTripTests
{
    private const string ShopEnv = """
        # Database account and the API's credentials.
        POSTGRES_USER=app
        DB_PASSWORD=p@ss$word with spaces
        API_TOKEN="tok_abc 123"
        TLS_KEY="-----BEGIN PRIVATE KEY-----\nMIIB\tindented \n-----END PRIVATE KEY-----\n"
        APP_PORT=8080

        """;

    private const string ShopCompose = """
        # A database that reads its password through POSTGRES_PASSWORD_FILE when it is set, and two services that
        # share the same password.
        x-db-env: &db-env
          POSTGRES_USER: ${POSTGRES_USER}
          POSTGRES_PASSWORD: ${DB_PASSWORD:?DB_PASSWORD must be set in .env}

        x-app: &app
          image: dso-busybox:latest
          command: ["sh", "-c", "exec sleep 300"]

        services:
          db:
            <<: *app
            user: "1000:1000"
            command: ["sh", "-c", "if [ -n \"$$POSTGRES_PASSWORD_FILE\" ]; then cat \"$$POSTGRES_PASSWORD_FILE\" > /tmp/password; else printf %s \"$$POSTGRES_PASSWORD\" > /tmp/password; fi; exec sleep 300"]
            environment:
              <<: *db-env
              PGDATA: /var/lib/postgresql/data
          api:
            <<: *app
            environment:
              - DB_PASSWORD=${DB_PASSWORD}
              - "API_TOKEN=${API_TOKEN}"
              - TLS_KEY
              - PORT=${APP_PORT}
              - GREETING='hello $$USER'
          worker:
            <<: *app
            env_file: worker.env
            environment:
              DB_PASSWORD: "${DB_PASSWORD}"   # the same secret as the API's

        """;

    private static readonly string[] Services = ["db", "api", "worker"];

    [Fact]
    public async Task MigrateThenUp_ShopProject_ContainersSeeSameValues()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        var project = new MigrationTestProject(home.Root)
            .Write(".env", ShopEnv)
            .Write("docker-compose.yml", ShopCompose)
            .Write("worker.env", "WORKER_SECRET=w0rk w0rk\nQUEUE=jobs\n");
        byte[] originalCompose = project.Read("docker-compose.yml");
        try
        {
            await ContainerView.ComposeOkAsync(project.Directory, "up", "-d");
            Dictionary<string, Dictionary<string, byte[]>> before = await ContainerView.ReadAsync(project.Name, Services);
            byte[] passwordBefore = await ContainerView.ReadFileAsync(await DockerCli.ContainerOfServiceAsync(project.Name, "db"), "/tmp/password");
            await ContainerView.ComposeOkAsync(project.Directory, "down");

            DsoResult migrate = await DsoCli.RunOkAsync(home, ["migrate", "--as-file", "POSTGRES_PASSWORD"], workingDirectory: project.Directory);
            await DsoCli.RunOkAsync(home, ["up", "-f", "docker-compose.dso.yml", "-d"], workingDirectory: project.Directory);
            Dictionary<string, Dictionary<string, byte[]>> after = await ContainerView.ReadAsync(project.Name, Services);
            string db = await DockerCli.ContainerOfServiceAsync(project.Name, "db");
            byte[] passwordAfter = await ContainerView.ReadFileAsync(db, "/tmp/password");
            string fileStat = (await DockerCli.ExecOkAsync(db, "sh", "-c", "stat -c '%u %a' \"$POSTGRES_PASSWORD_FILE\"")).StandardOutput.Trim();

            Assert.Contains("docker-compose.dso.yml", migrate.StandardOutput, StringComparison.Ordinal);
            Assert.Equal(originalCompose, project.Read("docker-compose.yml"));
            Assert.Equal(Encoding.UTF8.GetBytes("p@ss$word with spaces"), passwordBefore);
            Assert.Equal(passwordBefore, passwordAfter);
            Assert.Equal("1000 400", fileStat);
            ContainerView.AssertSame(before, after);

            DsoResult tlsKey = await DsoCli.RunOkAsync(home, ["secret", "get", $"{project.Name}/TLS_KEY"]);
            Assert.Equal(before["api"]["TLS_KEY"], tlsKey.StandardOutputBytes);
            Assert.EndsWith("-----END PRIVATE KEY-----\n", Encoding.UTF8.GetString(tlsKey.StandardOutputBytes), StringComparison.Ordinal);
        }
        finally
        {
            await DsoCli.RunAsync(home, ["down", "-f", "docker-compose.dso.yml"], workingDirectory: project.Directory);
            await DockerCli.RemoveProjectAsync(project.Name);
        }
    }

    [Fact]
    public async Task MigrateThenUp_OverrideExtendsEnvFileAndProfile_ContainersSeeSameValues()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        var project = new MigrationTestProject(home.Root)
            .Write(".env", "REDIS_PASSWORD=r3dis!pw\nSIGNING_KEY=\"-----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIB\\n-----END EC PRIVATE KEY-----\\n\"\nLOG_LEVEL=debug\n")
            .Write("app.env", "SESSION_SECRET=sess1on\nFEATURE=on\n")
            .Write("common/base.yml", "services:\n  base:\n    image: dso-busybox:latest\n    command: [\"sh\", \"-c\", \"exec sleep 300\"]\n    environment:\n      SIGNING_KEY: ${SIGNING_KEY}\n      BASE_ONLY: from-base\n")
            .Write("docker-compose.yml", "services:\n  web:\n    extends:\n      file: common/base.yml\n      service: base\n    env_file:\n      - app.env\n    environment:\n      - LOG_LEVEL=${LOG_LEVEL}\n  cache:\n    image: dso-busybox:latest\n    command: [\"sh\", \"-c\", \"exec sleep 300\"]\n    environment:\n      REDIS_PASSWORD: ${REDIS_PASSWORD:?set it}\n  debug:\n    image: dso-busybox:latest\n    command: [\"sh\", \"-c\", \"exec sleep 300\"]\n    profiles: [\"debug\"]\n    environment:\n      - REDIS_PASSWORD=${REDIS_PASSWORD}\n")
            .Write("docker-compose.override.yml", "services:\n  cache:\n    environment:\n      EXTRA_TOKEN: override-token\n");
        string[] services = ["web", "cache", "debug"];
        try
        {
            await ContainerView.ComposeOkAsync(project.Directory, "--profile", "debug", "up", "-d");
            Dictionary<string, Dictionary<string, byte[]>> before = await ContainerView.ReadAsync(project.Name, services);
            await ContainerView.ComposeOkAsync(project.Directory, "--profile", "debug", "down");

            DsoResult migrate = await DsoCli.RunOkAsync(home, ["migrate", "--json"], workingDirectory: project.Directory);
            JsonElement plan = JsonDocument.Parse(migrate.StandardOutput).RootElement;
            string[] upFiles = plan.GetProperty("up_files").EnumerateArray().Select(file => file.GetString()!).ToArray();
            await DsoCli.RunOkAsync(home, ["up", .. upFiles.SelectMany(file => new[] { "-f", file }), "--profile", "debug", "-d"], workingDirectory: project.Directory);
            Dictionary<string, Dictionary<string, byte[]>> after = await ContainerView.ReadAsync(project.Name, services);

            Assert.Equal([project.PathOf("docker-compose.dso.yml"), project.PathOf("docker-compose.override.dso.yml")], upFiles);
            Assert.True(File.Exists(project.PathOf("common/base.dso.yml")));
            Assert.Equal(
                [$"{project.Name}/EXTRA_TOKEN", $"{project.Name}/REDIS_PASSWORD", $"{project.Name}/SESSION_SECRET", $"{project.Name}/SIGNING_KEY"],
                plan.GetProperty("secrets").EnumerateArray().Select(secret => secret.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
            ContainerView.AssertSame(before, after);
        }
        finally
        {
            await DsoCli.RunAsync(home, ["down", "-f", "docker-compose.dso.yml", "-f", "docker-compose.override.dso.yml", "--profile", "debug"], workingDirectory: project.Directory);
            await DockerCli.RemoveProjectAsync(project.Name);
        }
    }

    [Fact]
    public async Task Migrate_SecondRun_ChangesNothing()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        var project = new MigrationTestProject(home.Root)
            .Write(".env", ShopEnv)
            .Write("docker-compose.yml", ShopCompose)
            .Write("worker.env", "WORKER_SECRET=w0rk w0rk\nQUEUE=jobs\n");
        await DsoCli.RunOkAsync(home, ["migrate", "--as-file", "POSTGRES_PASSWORD"], workingDirectory: project.Directory);
        byte[] vaultAfterFirst = File.ReadAllBytes(home.VaultPath);
        byte[] migratedAfterFirst = project.Read("docker-compose.dso.yml");
        DateTime writtenAt = File.GetLastWriteTimeUtc(project.PathOf("docker-compose.dso.yml"));

        DsoResult second = await DsoCli.RunOkAsync(home, ["migrate", "--as-file", "POSTGRES_PASSWORD", "--json"], workingDirectory: project.Directory);

        JsonElement plan = JsonDocument.Parse(second.StandardOutput).RootElement;
        Assert.All(plan.GetProperty("secrets").EnumerateArray(), secret => Assert.Equal("unchanged", secret.GetProperty("status").GetString()));
        Assert.Equal("unchanged", Assert.Single(plan.GetProperty("files").EnumerateArray()).GetProperty("status").GetString());
        Assert.Equal(vaultAfterFirst, File.ReadAllBytes(home.VaultPath));
        Assert.Equal(migratedAfterFirst, project.Read("docker-compose.dso.yml"));
        Assert.Equal(writtenAt, File.GetLastWriteTimeUtc(project.PathOf("docker-compose.dso.yml")));
    }
}
