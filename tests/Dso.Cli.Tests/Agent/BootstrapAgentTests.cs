using System.Text.Json;
using Dso.Agent.Configuration;
using Dso.Cli.Tests.Infrastructure;
using Dso.Core.IO;

namespace Dso.Cli.Tests.Agent;

/// <summary>
/// dso bootstrap agent in a throwaway root. The tests share one class so that they run one at a time: each
/// creates and deletes a real system group, and groupadd takes a lock on /etc/group.
/// </summary>
public sealed class BootstrapAgentTests
{
    private const UnixFileMode Mode0750 = (UnixFileMode)0b111_101_000;
    private const UnixFileMode Mode0700 = (UnixFileMode)0b111_000_000;
    private const UnixFileMode Mode0660 = (UnixFileMode)0b110_110_000;
    private const UnixFileMode Mode0644 = (UnixFileMode)0b110_100_100;

    [Fact]
    public async Task Bootstrap_FreshRoot_CreatesFilesWithModesAndOwners()
    {
        using var root = new AgentTestRoot();

        DsoResult result = await root.BootstrapAsync("--non-interactive", "--provider", "vault");

        Assert.True(result.ExitCode == 0, result.ToString());
        int gid = Assert.IsType<int>(AgentTestRoot.FindGroupId(root.Group));
        AssertStatus(root.EtcDirectory, isDirectory: true, Mode0750, gid);
        AssertStatus(root.ConfigPath, isDirectory: false, Mode0660, gid);
        AssertStatus(root.DataDirectory, isDirectory: true, Mode0750, gid);
        AssertStatus(root.StateDirectory, isDirectory: true, Mode0700, 0);
        AssertStatus(root.LockDirectory, isDirectory: true, Mode0700, 0);
        AssertStatus(root.UnitPath, isDirectory: false, Mode0644, 0);
        Assert.Contains($"created      group     {root.Group}", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("systemd loads units from", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bootstrap_UnitFile_HasRequiredDirectives()
    {
        using var root = new AgentTestRoot();

        DsoResult result = await root.BootstrapAsync("--non-interactive");

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] unit = await File.ReadAllLinesAsync(root.UnitPath);
        Assert.Contains("Type=notify", unit);
        Assert.Contains($"ExecStart={DsoCli.ExecutablePath} agent", unit);
        Assert.Contains("Restart=on-failure", unit);
        Assert.Contains(unit, line => line.StartsWith("RestartSec=", StringComparison.Ordinal));
        Assert.Contains("NoNewPrivileges=yes", unit);
        Assert.Contains("ProtectSystem=strict", unit);
        Assert.Contains($"ReadWritePaths={root.DataDirectory} /run/dso {root.Root}", unit);
        Assert.Contains("ProtectHome=yes", unit);
        Assert.Contains("PrivateTmp=yes", unit);
        Assert.Contains("RuntimeDirectory=dso", unit);
        Assert.Contains("RuntimeDirectoryMode=0750", unit);
        Assert.Contains("RuntimeDirectoryPreserve=yes", unit);
        Assert.Contains($"Group={root.Group}", unit);
        Assert.Contains($"Environment=DSO_CONFIG={root.ConfigPath}", unit);
        Assert.Contains(unit, line => line.StartsWith("After=", StringComparison.Ordinal) && line.Contains("docker.service", StringComparison.Ordinal));
        Assert.Contains(unit, line => line.StartsWith("Wants=", StringComparison.Ordinal) && line.Contains("docker.service", StringComparison.Ordinal));
        Assert.Equal(AgentTestRoot.FindGroupId("docker") is not null, unit.Contains("SupplementaryGroups=docker"));
    }

    [Fact]
    public async Task Bootstrap_UnitFile_PassesSystemdAnalyzeVerify()
    {
        Assert.True(File.Exists("/usr/bin/systemd-analyze"), "systemd-analyze is missing: install Debian's systemd package (apt-get install -y systemd).");
        using var root = new AgentTestRoot();
        DsoResult result = await root.BootstrapAsync("--non-interactive", "--provider", "aws");
        Assert.True(result.ExitCode == 0, result.ToString());

        (int exitCode, string output, string error) = AgentTestRoot.Run("systemd-analyze", "verify", root.UnitPath);

        Assert.True(exitCode == 0, $"systemd-analyze verify exited {exitCode}: {output}{error}");
        Assert.True(error.Length == 0, $"systemd-analyze verify printed: {error}");
    }

    [Theory]
    [InlineData("local")]
    [InlineData("vault")]
    [InlineData("aws")]
    [InlineData("azure")]
    public async Task Bootstrap_EachProvider_WritesConfigTheAgentLoads(string provider)
    {
        using var root = new AgentTestRoot();

        DsoResult result = await root.BootstrapAsync("--non-interactive", "--provider", provider);

        Assert.True(result.ExitCode == 0, result.ToString());
        var type = (ProviderType)AgentConfigKeys.ProviderTypes.ToList().IndexOf(provider);
        var environment = AgentConfigTemplate.CredentialVariables(type).ToDictionary(name => name, name => "set-for-test");
        AgentConfig config = AgentConfigLoader.Load(root.ConfigPath, new AgentConfigLoadOptions { Environment = environment.GetValueOrDefault, EtcDirectory = root.EtcDirectory });
        Assert.Equal(type, config.Providers["main"].Type);
        Assert.Equal(root.StateDirectory, config.Agent.StateDirectory);
        Assert.Equal(root.LockDirectory, config.Agent.LockDirectory);
        foreach (string variable in AgentConfigTemplate.CredentialVariables(type))
        {
            Assert.Contains(variable, result.StandardOutput, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Bootstrap_SecondRun_ChangesNothing()
    {
        using var root = new AgentTestRoot();
        DsoResult first = await root.BootstrapAsync("--non-interactive", "--provider", "azure");
        Assert.True(first.ExitCode == 0, first.ToString());
        SortedDictionary<string, string> before = root.Snapshot();
        int? gidBefore = AgentTestRoot.FindGroupId(root.Group);

        DsoResult second = await root.BootstrapAsync("--non-interactive", "--provider", "azure");
        DsoResult secondJson = await root.BootstrapAsync("--non-interactive", "--json");

        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(before, root.Snapshot());
        Assert.Equal(gidBefore, AgentTestRoot.FindGroupId(root.Group));
        Assert.Contains("Nothing to change: agent mode is already set up.", second.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("created", second.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("--provider azure has no effect", second.StandardError, StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(secondJson.StandardOutput);
        Assert.False(json.RootElement.GetProperty("changed").GetBoolean());
        Assert.All(json.RootElement.GetProperty("steps").EnumerateArray(), step => Assert.True(step.GetProperty("result").GetString() is "kept" or "skipped", step.ToString()));
    }

    [Fact]
    public async Task Bootstrap_DryRun_TouchesNothing()
    {
        using var root = new AgentTestRoot();

        DsoResult text = await root.BootstrapAsync("--dry-run", "--provider", "vault");
        DsoResult json = await root.BootstrapAsync("--dry-run", "--json");

        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Empty(root.Snapshot());
        Assert.Null(AgentTestRoot.FindGroupId(root.Group));
        Assert.Contains("Dry run: nothing was changed.", text.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"create       file      {root.ConfigPath}", text.StandardOutput, StringComparison.Ordinal);
        using JsonDocument document = JsonDocument.Parse(json.StandardOutput);
        Assert.True(document.RootElement.GetProperty("dry_run").GetBoolean());
        Assert.False(document.RootElement.GetProperty("changed").GetBoolean());
        Assert.Equal("planned", document.RootElement.GetProperty("steps")[0].GetProperty("result").GetString());
        Assert.Equal("group", document.RootElement.GetProperty("steps")[0].GetProperty("kind").GetString());
    }

    [Fact]
    public async Task Bootstrap_LaterStepFails_UndoesEarlierSteps()
    {
        using var root = new AgentTestRoot();
        Directory.CreateDirectory(root.SystemdDirectory);
        root.MakeImmutable(root.SystemdDirectory);
        SortedDictionary<string, string> before = root.Snapshot();

        DsoResult result = await root.BootstrapAsync("--non-interactive", "--json");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(before, root.Snapshot());
        Assert.Null(AgentTestRoot.FindGroupId(root.Group));
        Assert.Contains($"Setting up agent mode failed at file {root.UnitPath}", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("Every change of this run was undone.", result.StandardError, StringComparison.Ordinal);
        using JsonDocument json = JsonDocument.Parse(result.StandardOutput);
        var results = json.RootElement.GetProperty("steps").EnumerateArray()
            .ToDictionary(step => step.GetProperty("target").GetString()!, step => step.GetProperty("result").GetString());
        Assert.Equal("undone", results[root.Group]);
        Assert.Equal("undone", results[root.ConfigPath]);
        Assert.Equal("kept", results[root.SystemdDirectory]);
        Assert.Equal("failed", results[root.UnitPath]);
        Assert.Equal("not_run", results["dso-agent.service"]);
    }

    [Fact]
    public async Task Bootstrap_LaterStepFails_TextReportsNoSuccess()
    {
        using var root = new AgentTestRoot();
        Directory.CreateDirectory(root.SystemdDirectory);
        root.MakeImmutable(root.SystemdDirectory);

        DsoResult result = await root.BootstrapAsync("--non-interactive");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("undone", result.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain("Nothing to change", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"Setting up agent mode failed at file {root.UnitPath}", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bootstrap_FailureAfterExistingConfig_KeepsIt()
    {
        using var root = new AgentTestRoot();
        Directory.CreateDirectory(root.EtcDirectory);
        await File.WriteAllTextAsync(root.ConfigPath, "mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: /srv/vault.enc\n");
        Directory.CreateDirectory(root.SystemdDirectory);
        root.MakeImmutable(root.SystemdDirectory);
        SortedDictionary<string, string> before = root.Snapshot();

        DsoResult result = await root.BootstrapAsync("--non-interactive");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal(before, root.Snapshot());
        Assert.Null(AgentTestRoot.FindGroupId(root.Group));
    }

    [Fact]
    public async Task Bootstrap_SystemdDirectoryIsFile_FailsBeforeAnyChange()
    {
        using var root = new AgentTestRoot();
        Directory.CreateDirectory(Path.GetDirectoryName(root.SystemdDirectory)!);
        await File.WriteAllTextAsync(root.SystemdDirectory, "not a directory");
        SortedDictionary<string, string> before = root.Snapshot();

        DsoResult result = await root.BootstrapAsync("--non-interactive");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"dso: {root.SystemdDirectory} exists but is not a directory. Move it aside and run 'dso bootstrap agent' again.\n", result.StandardError);
        Assert.Equal(before, root.Snapshot());
        Assert.Null(AgentTestRoot.FindGroupId(root.Group));
    }

    [Fact]
    public async Task Bootstrap_ExistingConfig_IsKeptAndItsPathsUsed()
    {
        using var root = new AgentTestRoot();
        root.Home.Environment.Remove("DSO_STATE_DIR");
        root.Home.Environment.Remove("DSO_LOCK_DIR");
        string state = Path.Combine(root.Root, "srv", "dso", "state");
        string locks = Path.Combine(root.Root, "srv", "dso", "locks");
        string config = $"mode: agent\nproviders:\n  main:\n    type: vault\n    address: https://vault.example.com\n    auth:\n      method: token\n      token: ${{MY_TOKEN}}\nagent:\n  state:\n    directory: {state}\n  locks:\n    directory: {locks}\n";
        Directory.CreateDirectory(root.EtcDirectory);
        await File.WriteAllTextAsync(root.ConfigPath, config);

        DsoResult result = await root.BootstrapAsync("--non-interactive");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(config, await File.ReadAllTextAsync(root.ConfigPath));
        AssertStatus(state, isDirectory: true, Mode0700, 0);
        AssertStatus(locks, isDirectory: true, Mode0700, 0);
        Assert.False(Directory.Exists(root.DataDirectory));
        Assert.Contains($"kept         file      {root.ConfigPath}", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("refers to MY_TOKEN, not set in this shell", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bootstrap_ExistingDirectoryWithLooseMode_IsKeptWithWarning()
    {
        using var root = new AgentTestRoot();
        Directory.CreateDirectory(root.EtcDirectory);
        File.SetUnixFileMode(root.EtcDirectory, (UnixFileMode)0b111_101_101);

        DsoResult result = await root.BootstrapAsync("--non-interactive");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal((UnixFileMode)0b111_101_101, FileStatus.Read(root.EtcDirectory)!.Value.Mode);
        Assert.Contains($"dso: warning: {root.EtcDirectory} has mode 0755 and owner 0:0, but agent mode expects 0750 root:{root.Group}.", result.StandardError, StringComparison.Ordinal);
        Assert.Contains($"chmod 0750 {root.EtcDirectory} && chown root:{root.Group} {root.EtcDirectory}", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bootstrap_InvalidExistingConfig_FailsWithoutChanges()
    {
        using var root = new AgentTestRoot();
        Directory.CreateDirectory(root.EtcDirectory);
        await File.WriteAllTextAsync(root.ConfigPath, "mode: agent\nproviders:\n  main:\n    type: vault\n");
        SortedDictionary<string, string> before = root.Snapshot();

        DsoResult result = await root.BootstrapAsync("--non-interactive");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{root.ConfigPath} exists and is kept, but the agent would reject it:", result.StandardError, StringComparison.Ordinal);
        Assert.Contains($"{root.ConfigPath}:3: providers.main.address: is required", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(before, root.Snapshot());
        Assert.Null(AgentTestRoot.FindGroupId(root.Group));
    }

    [Fact]
    public async Task Bootstrap_StandardInputNotTerminal_NeedsNonInteractive()
    {
        using var root = new AgentTestRoot();

        DsoResult result = await root.BootstrapAsync("--provider", "local");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Pass --non-interactive", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(root.Snapshot());
    }

    [Fact]
    public async Task Bootstrap_ConfigOptionElsewhere_IsUsageError()
    {
        using var root = new AgentTestRoot();

        DsoResult result = await DsoCli.RunAsync(root.Home, ["--config", Path.Combine(root.Root, "other.yaml"), "bootstrap", "agent", "--non-interactive"]);

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"dso bootstrap agent writes {root.ConfigPath}", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(root.Snapshot());
    }

    [Fact]
    public async Task Bootstrap_UnknownProvider_IsUsageError()
    {
        using var root = new AgentTestRoot();

        DsoResult result = await root.BootstrapAsync("--non-interactive", "--provider", "gcp");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains("gcp", result.StandardError, StringComparison.Ordinal);
        Assert.Empty(root.Snapshot());
    }

    private static void AssertStatus(string path, bool isDirectory, UnixFileMode mode, int gid)
    {
        FileStatus? status = FileStatus.Read(path);
        Assert.True(status is not null, $"{path} does not exist");
        Assert.Equal(isDirectory, status.Value.IsDirectory);
        Assert.Equal(mode, status.Value.Mode);
        Assert.Equal(0u, status.Value.Uid);
        Assert.Equal((uint)gid, status.Value.Gid);
    }
}
