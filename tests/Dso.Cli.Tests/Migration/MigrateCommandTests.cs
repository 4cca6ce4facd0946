using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Migration;

public sealed class MigrateCommandTests
{
    private const string Compose = """
        services:
          api:
            image: dso-busybox:latest
            environment:
              DB_PASSWORD: ${DB_PASSWORD}
              LEVEL: info

        """;

    [Fact]
    public async Task Migrate_DryRun_TouchesNothing()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        MigrationTestProject project = new MigrationTestProject(home.Root).Write(".env", "DB_PASSWORD=pw\n").Write("docker-compose.yml", Compose);
        byte[] vault = File.ReadAllBytes(home.VaultPath);

        DsoResult result = await DsoCli.RunOkAsync(home, ["migrate", "--dry-run"], workingDirectory: project.Directory);

        Assert.Contains($"create     {project.Name}/DB_PASSWORD", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("dry run; nothing was changed", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(vault, File.ReadAllBytes(home.VaultPath));
        Assert.False(File.Exists(project.PathOf("docker-compose.dso.yml")));
    }

    [Fact]
    public async Task Migrate_NoVault_FailsBeforeWritingAnything()
    {
        using var home = new TestHome();
        MigrationTestProject project = new MigrationTestProject(home.Root).Write(".env", "DB_PASSWORD=pw\n").Write("docker-compose.yml", Compose);

        DsoResult result = await DsoCli.RunAsync(home, ["migrate"], workingDirectory: project.Directory);
        DsoResult dryRun = await DsoCli.RunAsync(home, ["migrate", "--dry-run"], workingDirectory: project.Directory);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("dso bootstrap local", result.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(project.PathOf("docker-compose.dso.yml")));
        Assert.False(File.Exists(home.VaultPath));
        Assert.Equal(0, dryRun.ExitCode);
    }

    [Fact]
    public async Task Migrate_ConflictingVaultEntry_ExitsOneAndChangesNothing()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        MigrationTestProject project = new MigrationTestProject(home.Root).Write(".env", "DB_PASSWORD=pw\n").Write("docker-compose.yml", Compose);
        await DsoCli.SetSecretAsync(home, $"{project.Name}/DB_PASSWORD", "rotated");
        byte[] vault = File.ReadAllBytes(home.VaultPath);

        DsoResult result = await DsoCli.RunAsync(home, ["migrate"], workingDirectory: project.Directory);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("migrate.vault_conflict", (await DsoCli.RunAsync(home, ["migrate", "--json"], workingDirectory: project.Directory)).StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--force", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(vault, File.ReadAllBytes(home.VaultPath));
        Assert.False(File.Exists(project.PathOf("docker-compose.dso.yml")));
    }

    [Fact]
    public async Task Migrate_Json_ListsPlanWithoutValues()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        MigrationTestProject project = new MigrationTestProject(home.Root).Write(".env", "DB_PASSWORD=pw-value-123\n").Write("docker-compose.yml", Compose);

        DsoResult result = await DsoCli.RunOkAsync(home, ["migrate", "--dry-run", "--json"], workingDirectory: project.Directory);

        JsonElement plan = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.True(plan.GetProperty("dry_run").GetBoolean());
        Assert.False(plan.GetProperty("applied").GetBoolean());
        Assert.StartsWith("docker-compose ", plan.GetProperty("compose").GetString(), StringComparison.Ordinal);
        JsonElement secret = Assert.Single(plan.GetProperty("secrets").EnumerateArray());
        Assert.Equal($"{project.Name}/DB_PASSWORD", secret.GetProperty("name").GetString());
        Assert.Equal(12, secret.GetProperty("bytes").GetInt32());
        Assert.Equal("LEVEL", Assert.Single(plan.GetProperty("plain").EnumerateArray()).GetProperty("variable").GetString());
        Assert.DoesNotContain("pw-value-123", result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("pw-value-123", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Migrate_EnvFileOption_ReadsThatFile()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        MigrationTestProject project = new MigrationTestProject(home.Root)
            .Write(".env", "DB_PASSWORD=development\n")
            .Write("prod.env", "DB_PASSWORD=production-pw\n")
            .Write("docker-compose.yml", Compose);

        DsoResult result = await DsoCli.RunOkAsync(home, ["migrate", "--env-file", "prod.env", "--project", "prod"], workingDirectory: project.Directory);
        DsoResult stored = await DsoCli.RunOkAsync(home, ["secret", "get", "prod/DB_PASSWORD"]);

        Assert.Contains("prod.env:1 (DB_PASSWORD)", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("production-pw", stored.StandardOutput);
        Assert.Contains("DB_PASSWORD: dso://prod/DB_PASSWORD", await File.ReadAllTextAsync(project.PathOf("docker-compose.dso.yml")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task MigrateHelp_DocumentsTheSecretRule()
    {
        using var home = new TestHome();

        DsoResult result = await DsoCli.RunOkAsync(home, ["migrate", "--help"]);

        Assert.Contains("Which variables become secrets", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--as-file", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("PROJECT/VAR", result.StandardOutput, StringComparison.Ordinal);
    }
}
