using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Cli;

public sealed class ConfigDiscoveryTests
{
    [Fact]
    public async Task Config_NoFile_UsesDefaults()
    {
        using var home = new TestHome();

        JsonElement config = await ReadConfigAsync(home, home.Root);

        Assert.Equal("(none)", config.GetProperty("config").GetString());
        Assert.Equal(home.Home, config.GetProperty("home").GetString());
        Assert.Equal(Path.Combine(home.Home, "vault.enc"), config.GetProperty("vault").GetString());
    }

    [Fact]
    public async Task Config_WorkingDirectoryFile_WinsOverHomeFile()
    {
        using var home = new TestHome();
        Directory.CreateDirectory(home.Home);
        await File.WriteAllTextAsync(Path.Combine(home.Home, "dso.yaml"), "mode: local\n");
        string project = Directory.CreateDirectory(Path.Combine(home.Root, "project")).FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "dso.yaml"), "mode: local\n");

        JsonElement fromProject = await ReadConfigAsync(home, project);
        JsonElement fromElsewhere = await ReadConfigAsync(home, home.Root);

        Assert.Equal(Path.Combine(project, "dso.yaml"), fromProject.GetProperty("config").GetString());
        Assert.Equal(Path.Combine(home.Home, "dso.yaml"), fromElsewhere.GetProperty("config").GetString());
    }

    [Fact]
    public async Task Config_OptionAndEnvironment_OverrideDiscovery()
    {
        using var home = new TestHome();
        string project = Directory.CreateDirectory(Path.Combine(home.Root, "project")).FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "dso.yaml"), "mode: local\n");
        string fromEnvironment = Path.Combine(home.Root, "env.yaml");
        string fromOption = Path.Combine(home.Root, "option.yaml");
        await File.WriteAllTextAsync(fromEnvironment, "mode: local\n");
        await File.WriteAllTextAsync(fromOption, "mode: local\n");
        var environment = new Dictionary<string, string> { ["DSO_CONFIG"] = fromEnvironment };

        JsonElement withEnvironment = await ReadConfigAsync(home, project, environment);
        JsonElement withBoth = await ReadConfigAsync(home, project, environment, ["--config", fromOption]);

        Assert.Equal(fromEnvironment, withEnvironment.GetProperty("config").GetString());
        Assert.Equal(fromOption, withBoth.GetProperty("config").GetString());
    }

    [Fact]
    public async Task Config_SecretFileDirectory_IsUsedUnlessEnvironmentOverrides()
    {
        using var home = new TestHome();
        string configPath = Path.Combine(home.Root, "dso.yaml");
        await File.WriteAllTextAsync(configPath, "mode: local\nsecret_files:\n  directory: /dev/shm/from-config\n");

        JsonElement overridden = await ReadConfigAsync(home, home.Root);
        home.Environment.Remove("DSO_RUNTIME_DIR");
        JsonElement fromConfig = await ReadConfigAsync(home, home.Root);

        Assert.Equal(home.RuntimeDirectory, overridden.GetProperty("secret_files").GetString());
        Assert.Equal("/dev/shm/from-config", fromConfig.GetProperty("secret_files").GetString());
    }

    [Theory]
    [InlineData("mode: agent\n", "dso.yaml:1: mode is \"agent\"")]
    [InlineData("mode: local\nsecret_file:\n  directory: /x\n", "dso.yaml:2: unknown key \"secret_file\"")]
    [InlineData("secret_files:\n  allow_disk: maybe\n", "dso.yaml:2: secret_files.allow_disk must be true or false")]
    [InlineData("compose:\n  command: podman\n", "dso.yaml:2: compose.command must be")]
    [InlineData("mode: [local\n", "dso.yaml:")]
    [InlineData("secret_files:\n  allow_disk: true\n", "dso.yaml:2: secret_files.allow_disk: true is not accepted from a dso.yaml in the working directory")]
    public async Task Config_InvalidFile_FailsNamingFileAndLine(string content, string expectedMessage)
    {
        using var home = new TestHome();
        await File.WriteAllTextAsync(Path.Combine(home.Root, "dso.yaml"), content);

        DsoResult result = await DsoCli.RunAsync(home, ["config"], workingDirectory: home.Root);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(expectedMessage, result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_MissingExplicitFile_FailsNamingIt()
    {
        using var home = new TestHome();
        string missing = Path.Combine(home.Root, "missing.yaml");

        DsoResult result = await DsoCli.RunAsync(home, ["--config", missing, "config"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(missing, result.StandardError, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> ReadConfigAsync(TestHome home, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null, string[]? prefix = null)
    {
        DsoResult result = await DsoCli.RunOkAsync(home, [.. prefix ?? [], "config", "--json"], workingDirectory: workingDirectory, environment: environment);
        return JsonDocument.Parse(result.StandardOutput).RootElement.Clone();
    }
}
