using System.Diagnostics;
using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Cli;

public sealed class DockerPluginTests
{
    [Fact]
    public async Task Metadata_AnswersDockerCliSchema()
    {
        using var home = new TestHome();

        DsoResult result = await DsoCli.RunOkAsync(home, ["docker-cli-plugin-metadata"]);

        JsonElement metadata = JsonDocument.Parse(result.StandardOutput).RootElement;
        Assert.Equal("0.1.0", metadata.GetProperty("SchemaVersion").GetString());
        Assert.False(string.IsNullOrEmpty(metadata.GetProperty("Version").GetString()));
        Assert.False(string.IsNullOrEmpty(metadata.GetProperty("ShortDescription").GetString()));
    }

    [Fact]
    public async Task PluginInstall_ThenDockerDsoVersion_RunsDso()
    {
        using var home = new TestHome();
        string dockerConfig = Path.Combine(home.Root, "docker-config");
        var environment = new Dictionary<string, string> { ["DOCKER_CONFIG"] = dockerConfig };

        await DsoCli.RunOkAsync(home, ["plugin", "install"], environment: environment);
        (int exitCode, string output) = await RunDockerAsync(dockerConfig, "dso", "version");

        string plugin = Path.Combine(dockerConfig, "cli-plugins", "docker-dso");
        Assert.True(File.Exists(plugin), $"{plugin} was not created");
        Assert.Equal(0, exitCode);
        Assert.StartsWith("dso ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PluginInstall_DockerHelp_ListsDso()
    {
        using var home = new TestHome();
        string dockerConfig = Path.Combine(home.Root, "docker-config");

        await DsoCli.RunOkAsync(home, ["plugin", "install"], environment: new Dictionary<string, string> { ["DOCKER_CONFIG"] = dockerConfig });
        (int exitCode, string output) = await RunDockerAsync(dockerConfig, "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("dso*", output, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output)> RunDockerAsync(string dockerConfig, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo("docker") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.Environment["DOCKER_CONFIG"] = dockerConfig;
        using var process = Process.Start(startInfo)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output + await error);
    }
}
