using System.Net.Sockets;
using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Diagnostics;

public sealed class DoctorCommandTests
{
    private static readonly string[] CheckNames = ["docker_engine", "compose", "secret_files", "vault", "config", "agent_config", "state_dir", "lock_dir", "agent_socket", "agent_service"];

    [Fact]
    public async Task Doctor_HealthyHome_ReportsEveryCheck()
    {
        using TestHome home = await new TestHome().InitializeAsync();

        (int exitCode, JsonElement report) = await DoctorJsonAsync(home);

        Assert.Equal(0, exitCode);
        Assert.True(report.GetProperty("ok").GetBoolean());
        Assert.Equal(CheckNames, report.GetProperty("checks").EnumerateArray().Select(check => check.GetProperty("name").GetString()));
        Assert.Contains("API 1.4", Check(report, "docker_engine").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Matches("Compose v[12]", Check(report, "compose").GetProperty("detail").GetString());
        Assert.Contains("on tmpfs", Check(report, "secret_files").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("opens with the key", Check(report, "vault").GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.All(report.GetProperty("checks").EnumerateArray(), check => Assert.True(check.GetProperty("status").GetString() is "ok" or "skipped", check.ToString()));
    }

    [Fact]
    public async Task Doctor_LoosePermissions_FailsThenFixRepairsThem()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        File.SetUnixFileMode(home.Home, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(home.MasterKeyPath, (UnixFileMode)0b110_100_100);

        (int exitCode, JsonElement before) = await DoctorJsonAsync(home);
        (int fixExitCode, JsonElement fixedReport) = await DoctorJsonAsync(home, "--fix");

        Assert.Equal(1, exitCode);
        JsonElement vault = Check(before, "vault");
        Assert.Equal("error", vault.GetProperty("status").GetString());
        Assert.Contains("other users can read", vault.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Contains($"chmod 600 {home.MasterKeyPath}", vault.GetProperty("fix").GetString(), StringComparison.Ordinal);
        Assert.True(vault.GetProperty("repairable").GetBoolean());
        Assert.Equal(0, fixExitCode);
        Assert.Equal("ok", Check(fixedReport, "vault").GetProperty("status").GetString());
        List<string> changes = fixedReport.GetProperty("changes").EnumerateArray().Select(change => change.GetString()!).ToList();
        Assert.Contains($"chmod 700 {home.Home} (was 0755)", changes);
        Assert.Contains($"chmod 600 {home.MasterKeyPath} (was 0644)", changes);
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(home.Home));
        Assert.Equal((UnixFileMode)0b110_000_000, File.GetUnixFileMode(home.MasterKeyPath));
    }

    [Fact]
    public async Task DoctorFix_MissingStateAndLockDirectories_CreatesThem()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        string state = home.Environment["DSO_STATE_DIR"];
        string locks = home.Environment["DSO_LOCK_DIR"];

        (_, JsonElement report) = await DoctorJsonAsync(home, "--fix");

        List<string> changes = report.GetProperty("changes").EnumerateArray().Select(change => change.GetString()!).ToList();
        Assert.Equal([$"created {state} (mode 0700)", $"created {locks} (mode 0700)"], changes);
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(state));
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(locks));
    }

    [Fact]
    public async Task Doctor_UnreachableEngine_NamesReasonAndFix()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        home.Environment["DOCKER_HOST"] = "unix://" + Path.Combine(home.Root, "missing.sock");

        (int exitCode, JsonElement report) = await DoctorJsonAsync(home);

        Assert.Equal(1, exitCode);
        JsonElement engine = Check(report, "docker_engine");
        Assert.Equal("error", engine.GetProperty("status").GetString());
        Assert.Contains("missing.sock", engine.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Contains("DOCKER_HOST", engine.GetProperty("fix").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_DiskBackedSecretDirectory_IsError()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        home.Environment["DSO_RUNTIME_DIR"] = Path.Combine(home.Root, "secrets");

        (int exitCode, JsonElement report) = await DoctorJsonAsync(home);

        Assert.Equal(1, exitCode);
        JsonElement secretFiles = Check(report, "secret_files");
        Assert.Equal("error", secretFiles.GetProperty("status").GetString());
        Assert.Contains("not on tmpfs", secretFiles.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_ConfigInWorkingDirectory_NamesFileAndSource()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        string project = Directory.CreateDirectory(Path.Combine(home.Root, "project")).FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "dso.yaml"), "mode: local\n");

        (int exitCode, JsonElement report) = await DoctorJsonAsync(home, workingDirectory: project);

        Assert.Equal(0, exitCode);
        Assert.StartsWith($"{Path.Combine(project, "dso.yaml")} (from the current directory", Check(report, "config").GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_InvalidConfig_IsError()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        string project = Directory.CreateDirectory(Path.Combine(home.Root, "project")).FullName;
        await File.WriteAllTextAsync(Path.Combine(project, "dso.yaml"), "mode: agent\n");

        (int exitCode, JsonElement report) = await DoctorJsonAsync(home, workingDirectory: project);

        Assert.Equal(1, exitCode);
        Assert.Contains("dso.yaml:1", Check(report, "config").GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("ok", Check(report, "compose").GetProperty("status").GetString());
    }

    [Fact]
    public async Task DoctorFix_MissingHome_CreatesItPrivate()
    {
        using var home = new TestHome();
        home.Environment.Remove("DSO_STATE_DIR");

        (_, JsonElement report) = await DoctorJsonAsync(home, "--fix");

        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(home.Home));
        Assert.Contains(report.GetProperty("changes").EnumerateArray(), change => change.GetString()!.Contains(home.Home + " and ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Doctor_SocketWithoutAgent_Warns()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        string socketPath = home.Environment["DSO_SOCKET"];

        // A socket that is bound but not listening refuses connections, as one left by a stopped agent does.
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(socketPath));
        (int exitCode, JsonElement report) = await DoctorJsonAsync(home);

        Assert.Equal(0, exitCode);
        JsonElement agent = Check(report, "agent_socket");
        Assert.Equal("warning", agent.GetProperty("status").GetString());
        Assert.Contains("nothing accepts connections", agent.GetProperty("reason").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Doctor_AgentConfigReadableByOthers_FailsThenFixTightensIt()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        string etc = Directory.CreateDirectory(Path.Combine(home.Root, "etc-dso")).FullName;
        string config = Path.Combine(etc, "dso.yaml");
        await File.WriteAllTextAsync(config, "mode: agent\n");
        File.SetUnixFileMode(etc, (UnixFileMode)0b111_101_101);
        File.SetUnixFileMode(config, (UnixFileMode)0b110_100_100);
        home.Environment["DSO_ETC_DIR"] = etc;

        (int exitCode, JsonElement report) = await DoctorJsonAsync(home);
        (int fixExitCode, JsonElement fixedReport) = await DoctorJsonAsync(home, "--fix");

        Assert.Equal(1, exitCode);
        JsonElement agent = Check(report, "agent_config");
        Assert.Equal("error", agent.GetProperty("status").GetString());
        Assert.Contains("provider credentials", agent.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, fixExitCode);
        Assert.Equal("ok", Check(fixedReport, "agent_config").GetProperty("status").GetString());
        Assert.Equal((UnixFileMode)0b111_101_000, File.GetUnixFileMode(etc));
        Assert.Equal((UnixFileMode)0b110_100_000, File.GetUnixFileMode(config));
    }

    [Fact]
    public async Task Doctor_Text_ShowsReasonAndFix()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        File.SetUnixFileMode(home.VaultPath, (UnixFileMode)0b110_100_100);

        DsoResult result = await DsoCli.RunAsync(home, ["doctor"]);

        Assert.Equal(1, result.ExitCode);
        Assert.Matches(@"error +vault +.*vault\.enc has mode 0644", result.StandardOutput);
        Assert.Contains("reason: other users can read the vault or its key", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("(dso doctor --fix does this)", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("FAILED: errors: 1", result.StandardOutput, StringComparison.Ordinal);
    }

    private static JsonElement Check(JsonElement report, string name) =>
        report.GetProperty("checks").EnumerateArray().Single(check => check.GetProperty("name").GetString() == name);

    private static async Task<(int ExitCode, JsonElement Report)> DoctorJsonAsync(TestHome home, string? option = null, string? workingDirectory = null)
    {
        // Agent mode's paths point into the test home, so that a real /etc/dso on this machine changes no result.
        home.Environment.TryAdd("DSO_ETC_DIR", Path.Combine(home.Root, "no-etc-dso"));
        home.Environment.TryAdd("DSO_SYSTEMD_DIR", Path.Combine(home.Root, "no-systemd"));
        DsoResult result = await DsoCli.RunAsync(home, option is null ? ["doctor", "--json"] : ["doctor", "--json", option], workingDirectory: workingDirectory);
        return (result.ExitCode, JsonDocument.Parse(result.StandardOutput).RootElement.Clone());
    }
}
