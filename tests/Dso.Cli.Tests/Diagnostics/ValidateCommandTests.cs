using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;
using Dso.Cli.Tests.Migration;

namespace Dso.Cli.Tests.Diagnostics;

public sealed class ValidateCommandTests
{
    private const string MigratedCompose = """
        services:
          db:
            image: dso-busybox:latest
            environment:
              POSTGRES_USER: app
              POSTGRES_PASSWORD_FILE: dsofile://shop/DB_PASSWORD
          api:
            image: dso-busybox:latest
            environment:
              - DB_PASSWORD=dso://shop/DB_PASSWORD
              - API_TOKEN=dso://shop/API_TOKEN

        """;

    [Fact]
    public async Task Validate_CleanProject_PassesWithExitZero()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        MigrationTestProject project = new MigrationTestProject(home.Root).Write("docker-compose.yml", MigratedCompose).Write(".env", "LEVEL=info\n");
        await DsoCli.SetSecretAsync(home, "shop/DB_PASSWORD", "pw");
        await DsoCli.SetSecretAsync(home, "shop/API_TOKEN", "token");

        JsonElement report = await ValidateJsonAsync(home, project, expectedExitCode: 0);

        Assert.True(report.GetProperty("ok").GetBoolean());
        Assert.Equal(0, report.GetProperty("errors").GetInt32());
        Assert.Equal(3, report.GetProperty("references").GetInt32());
        Assert.Equal(0, report.GetProperty("findings").GetArrayLength());
    }

    [Fact]
    public async Task Validate_MissingSecret_NamesFileLineAndSecret()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        MigrationTestProject project = new MigrationTestProject(home.Root).Write("docker-compose.yml", MigratedCompose);
        await DsoCli.SetSecretAsync(home, "shop/DB_PASSWORD", "pw");

        JsonElement report = await ValidateJsonAsync(home, project, expectedExitCode: 1);

        JsonElement finding = Assert.Single(report.GetProperty("findings").EnumerateArray());
        Assert.Equal("error", finding.GetProperty("severity").GetString());
        Assert.Equal("reference.missing", finding.GetProperty("code").GetString());
        Assert.Equal(project.PathOf("docker-compose.yml"), finding.GetProperty("file").GetString());
        Assert.Equal(11, finding.GetProperty("line").GetInt32());
        Assert.Contains("dso secret set shop/API_TOKEN", finding.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_PlaintextSecrets_ReportsEachPlace()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        MigrationTestProject project = new MigrationTestProject(home.Root)
            .Write(".env", "DB_PASSWORD=hunter2\nUNUSED_TOKEN=abc\nLEVEL=info\n")
            .Write("app.env", "WORKER_SECRET=w\n")
            .Write("docker-compose.yml", "services:\n  api:\n    image: x\n    env_file: app.env\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n      API_KEY: literal-key\n      LEVEL: ${LEVEL}\n");

        JsonElement report = await ValidateJsonAsync(home, project, expectedExitCode: 1);

        List<string> places = report.GetProperty("findings").EnumerateArray()
            .Where(finding => finding.GetProperty("code").GetString()!.StartsWith("plaintext.", StringComparison.Ordinal))
            .Select(finding => $"{finding.GetProperty("code").GetString()} {Path.GetFileName(finding.GetProperty("file").GetString())}:{finding.GetProperty("line").GetInt32()}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(["plaintext.compose docker-compose.yml:7", "plaintext.dotenv .env:1", "plaintext.dotenv .env:2", "plaintext.env_file app.env:1"], places);
    }

    [Fact]
    public async Task Validate_PlaintextDiffersFromVault_SaysSoInsteadOfMigrate()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        MigrationTestProject project = new MigrationTestProject(home.Root)
            .Write(".env", "DB_PASSWORD=hunter2\n")
            .Write("docker-compose.yml", "services:\n  api:\n    image: x\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n");
        await DsoCli.SetSecretAsync(home, $"{project.Name}/DB_PASSWORD", "stored-differently");

        JsonElement report = await ValidateJsonAsync(home, project, expectedExitCode: 1);

        JsonElement finding = report.GetProperty("findings").EnumerateArray().Single(finding => finding.GetProperty("code").GetString() == "plaintext.dotenv");
        string message = finding.GetProperty("message").GetString()!;
        Assert.Contains("with a different value", message, StringComparison.Ordinal);
        Assert.DoesNotContain("'dso migrate'", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_InvalidReferences_ReportsEachWithItsLine()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        MigrationTestProject project = new MigrationTestProject(home.Root)
            .Write("docker-compose.yml", "services:\n  api:\n    image: x\n    environment:\n      A: dso://bad name\n      B: dso:/typo\n      C: dso://shop/c?mode=0400\n    labels:\n      secret: dso://shop/label\n");

        JsonElement report = await ValidateJsonAsync(home, project, expectedExitCode: 1);

        List<string> findings = report.GetProperty("findings").EnumerateArray()
            .Select(finding => $"{finding.GetProperty("code").GetString()}:{finding.GetProperty("line").GetInt32()}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(["reference.invalid:5", "reference.invalid:6", "reference.invalid:7", "reference.outside_environment:9"], findings);
    }

    [Fact]
    public async Task Validate_FileTargetsCollide_ReportsEachCollision()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        MigrationTestProject project = new MigrationTestProject(home.Root).Write("docker-compose.yml", """
            services:
              api:
                image: x
                environment:
                  A_FILE: dsofile://shop/tls
                  B_FILE: dsofile://shop/tls/key
                  C_FILE: dsofile://shop/cert?mode=0400
                  D_FILE: dsofile://shop/cert?mode=0440
                volumes:
                  - ./local:/run/secrets/dso/extra:ro

            """);
        foreach (string name in new[] { "shop/tls", "shop/tls/key", "shop/cert" })
        {
            await DsoCli.SetSecretAsync(home, name, "x");
        }

        JsonElement report = await ValidateJsonAsync(home, project, expectedExitCode: 1);

        List<string> findings = report.GetProperty("findings").EnumerateArray()
            .Select(finding => $"{finding.GetProperty("code").GetString()}:{finding.GetProperty("line").GetInt32()}")
            .Order(StringComparer.Ordinal)
            .ToList();
        Assert.Equal(["reference.file_options_differ:8", "reference.file_path_collision:6", "reference.mount_collision:10"], findings);
    }

    [Fact]
    public async Task Validate_InvalidConfigAndLooseVault_ReportsBoth()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        MigrationTestProject project = new MigrationTestProject(home.Root).Write("docker-compose.yml", "services:\n  api:\n    image: x\n");
        project.Write("dso.yaml", "mode: local\nsecret_file:\n  directory: /x\n");
        File.SetUnixFileMode(home.VaultPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        JsonElement report = await ValidateJsonAsync(home, project, expectedExitCode: 1);

        List<string> codes = report.GetProperty("findings").EnumerateArray().Select(finding => finding.GetProperty("code").GetString()!).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["config.invalid", "permissions.vault"], codes);
        Assert.Contains("dso.yaml:2", report.GetProperty("findings")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ChangesNothing()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        MigrationTestProject project = new MigrationTestProject(home.Root).Write("docker-compose.yml", MigratedCompose).Write(".env", "DB_PASSWORD=x\n");
        byte[] vault = File.ReadAllBytes(home.VaultPath);
        string[] filesBefore = Directory.GetFileSystemEntries(home.Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

        DsoResult result = await DsoCli.RunAsync(home, ["validate"], workingDirectory: project.Directory);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("FAILED", result.StandardOutput, StringComparison.Ordinal);
        Assert.Equal(vault, File.ReadAllBytes(home.VaultPath));
        Assert.Equal(filesBefore, Directory.GetFileSystemEntries(home.Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal));
    }

    private static async Task<JsonElement> ValidateJsonAsync(TestHome home, MigrationTestProject project, int expectedExitCode)
    {
        DsoResult result = await DsoCli.RunAsync(home, ["validate", "--json"], workingDirectory: project.Directory);
        Assert.True(result.ExitCode == expectedExitCode, $"dso validate exited {result.ExitCode}, expected {expectedExitCode}: {result}");
        return JsonDocument.Parse(result.StandardOutput).RootElement.Clone();
    }
}
