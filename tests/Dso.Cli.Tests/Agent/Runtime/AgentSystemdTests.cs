using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Agent.Runtime;

/// <summary>
/// dso-agent.service as dso bootstrap agent installs it, under a real systemd as PID 1 (a container of
/// dso-systemd:latest, built by scripts/systemd-image.sh) that drives the host's Docker engine.
/// </summary>
[Collection(ProcessHeavyTests.Name)]
public sealed class AgentSystemdTests
{
    private const string Unit = "dso-agent.service";
    private const string SecretPath = "/run/secrets/dso/db_password";
    private const string PreservedFile = "/run/dso/secrets/preserved";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AgentUnit_RealSystemd_StartsSupervisesAndStops()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        string value = "systemd-value-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        string passphrase = "systemd-passphrase-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

        // The agent hands secret-file paths to the host's engine as bind-mount sources, so its DSO_RUNTIME_DIR is a
        // tmpfs directory of the host mounted at the same path. Under /dev/shm it stays writable under the unit's
        // ProtectSystem=strict and is not hidden by PrivateTmp=.
        string runtimeDirectory = scenario.Home.RuntimeDirectory;
        Directory.CreateDirectory(runtimeDirectory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        // The systemd container carries its own label value, so the agent's label targets never match it.
        await using SystemdContainer systemd = await SystemdContainer.StartAsync(
            $"dso-{scenario.Label}-systemd", [$"{AgentScenario.TestLabel}={scenario.Label}-systemd"], [runtimeDirectory]);

        // A passphrase vault in the unit's data directory. The unit gets the passphrase only from /etc/dso/agent.env.
        // missing_secret is not in the vault and targets no container, so its fetch failures give the journal warnings.
        string secrets = AgentScenario.Secret("db_password", "rolling") +
            AgentScenario.Secret("missing_secret", "rolling").Replace("{label}", "{label}-unused", StringComparison.Ordinal);
        string config = "mode: agent\nproviders:\n  host:\n    type: local\n    vault_path: /var/lib/dso/vault.enc\n" +
            "agent:\n  poll_interval: 1s\nsecrets:\n" + secrets.Replace("{label}", scenario.Label, StringComparison.Ordinal);
        await systemd.ShellOkAsync(
            """
            mkdir -p /etc/dso /var/lib/dso
            DSO_HOME=/var/lib/dso dso bootstrap local --passphrase
            printf %s "$SECRET_VALUE" | DSO_HOME=/var/lib/dso dso secret set db_password
            printf %s "$CONFIG" > /etc/dso/dso.yaml
            umask 077
            printf 'DSO_PASSPHRASE=%s\nDSO_RUNTIME_DIR=%s\n' "$DSO_PASSPHRASE" "$RUNTIME_DIRECTORY" > /etc/dso/agent.env
            """,
            new Dictionary<string, string>
            {
                ["DSO_PASSPHRASE"] = passphrase,
                ["SECRET_VALUE"] = value,
                ["CONFIG"] = config,
                ["RUNTIME_DIRECTORY"] = runtimeDirectory,
            });

        // bootstrap creates the group, directories and unit, and runs systemctl enable --now itself. The second
        // enable --now is the command an operator would type, and changes nothing.
        await systemd.ExecOkAsync("dso", "bootstrap", "agent", "--non-interactive");
        await systemd.ExecOkAsync("systemctl", "enable", "--now", Unit);

        // Type=notify: systemctl enable --now returns, and the unit is active, only after the agent sent READY=1.
        Assert.Equal("notify", await systemd.ShowAsync(Unit, "Type"));
        Assert.Equal("enabled", await systemd.ShowAsync(Unit, "UnitFileState"));
        Assert.Equal("active", await systemd.ShowAsync(Unit, "ActiveState"));
        Assert.Equal($"{SystemdContainer.ExecutablePath} agent", await ExecStartCommandAsync(systemd));
        int mainPid = await MainPidAsync(systemd);
        Assert.Equal(mainPid, await StatusPidAsync(systemd));

        string app = $"dso-{scenario.Label}-app";
        await scenario.RunContainerAsync(app);
        await scenario.WaitForSingleContainerAsync(
            app, async () => await AgentScenario.ReadFileAsync(app, SecretPath) == value, Timeout, $"{app} has {SecretPath} from the agent under systemd");
        await WaitForJournalAsync(systemd, entry => Priority(entry) == 4 && Message(entry).Contains("missing_secret", StringComparison.Ordinal), "a warning (priority 4) about missing_secret");

        IReadOnlyList<JsonElement> journal = await AgentEntriesAsync(systemd, mainPid);
        string journalText = string.Join("\n", journal.Select(entry => $"<{Priority(entry)}> {Message(entry)}"));
        Assert.Contains(journal, entry => Priority(entry) == 6 && Message(entry).Contains("dso agent started with /etc/dso/dso.yaml", StringComparison.Ordinal));
        Assert.DoesNotContain(journal, entry => Message(entry).StartsWith('<'));
        Assert.DoesNotContain(value, journalText, StringComparison.Ordinal);
        Assert.DoesNotContain(passphrase, journalText, StringComparison.Ordinal);

        // The default secret-file root, /run/dso/secrets, lies in the unit's RuntimeDirectory=. This file stands for
        // the secret files there, which must outlive a stop and a restart of the agent.
        await systemd.ExecOkAsync("sh", "-ec", $"mkdir -p /run/dso/secrets && printf x > {PreservedFile}");
        await systemd.ExecOkAsync("systemctl", "stop", Unit);

        Assert.Equal("inactive", await systemd.ShowAsync(Unit, "ActiveState"));
        Assert.Equal("success", await systemd.ShowAsync(Unit, "Result"));
        Assert.Equal("0", await systemd.ShowAsync(Unit, "ExecMainStatus"));
        Assert.False(await FileExistsAsync(systemd, "/run/dso/dso.sock"), "The agent left /run/dso/dso.sock behind when it stopped.");
        Assert.True(await FileExistsAsync(systemd, PreservedFile), $"{PreservedFile} was deleted when the agent stopped: the unit lacks RuntimeDirectoryPreserve=yes.");
        IReadOnlyList<JsonElement> stopped = await AgentEntriesAsync(systemd, mainPid);
        Assert.Contains(stopped, entry => Message(entry).Contains("socket file was removed", StringComparison.Ordinal));
        Assert.Equal(value, await AgentScenario.ReadFileAsync(app, SecretPath));

        await systemd.ExecOkAsync("systemctl", "start", Unit);
        int startedPid = await MainPidAsync(systemd);
        string restarts = await systemd.ShowAsync(Unit, "NRestarts");
        await systemd.ExecOkAsync("systemctl", "kill", "--signal", "KILL", Unit);

        // Restart=on-failure with RestartSec=5s: systemd starts the agent again, and it reports READY=1 again.
        int restartedPid = 0;
        await Poll.UntilAsync(async () =>
        {
            string state = await systemd.ShowAsync(Unit, "ActiveState");
            restartedPid = await MainPidAsync(systemd);
            string count = await systemd.ShowAsync(Unit, "NRestarts");
            bool done = state == "active" && restartedPid != 0 && restartedPid != startedPid && count != restarts;
            return (done, $"ActiveState={state} MainPID={restartedPid} NRestarts={count} (before the kill: MainPID={startedPid} NRestarts={restarts})");
        }, Timeout, "systemd restarts the agent after SIGKILL");
        Assert.Equal(restartedPid, await StatusPidAsync(systemd));
        Assert.True(await FileExistsAsync(systemd, PreservedFile), $"{PreservedFile} was deleted when systemd restarted the agent.");
    }

    private static async Task<bool> FileExistsAsync(SystemdContainer systemd, string path) =>
        (await systemd.ExecAsync("test", "-e", path)).ExitCode == 0;

    private static async Task<int> MainPidAsync(SystemdContainer systemd) =>
        int.Parse(await systemd.ShowAsync(Unit, "MainPID"), CultureInfo.InvariantCulture);

    /// <summary>The pid that dso status --json reports, asked through the agent's socket inside the container.</summary>
    private static async Task<int> StatusPidAsync(SystemdContainer systemd)
    {
        ProcessResult status = await systemd.ExecOkAsync("dso", "status", "--json");
        return JsonDocument.Parse(status.StandardOutput).RootElement.GetProperty("pid").GetInt32();
    }

    /// <summary>The command line of the unit's ExecStart=, from systemctl show's "argv[]=... ;" field.</summary>
    private static async Task<string> ExecStartCommandAsync(SystemdContainer systemd)
    {
        string execStart = await systemd.ShowAsync(Unit, "ExecStart");
        int start = execStart.IndexOf("argv[]=", StringComparison.Ordinal) + "argv[]=".Length;
        int end = execStart.IndexOf(" ;", start, StringComparison.Ordinal);
        return execStart[start..end];
    }

    /// <summary>The journal entries that the agent process <paramref name="pid"/> wrote through its standard output.</summary>
    private static async Task<IReadOnlyList<JsonElement>> AgentEntriesAsync(SystemdContainer systemd, int pid)
    {
        IReadOnlyList<JsonElement> entries = await systemd.JournalAsync(Unit);
        string pidText = pid.ToString(CultureInfo.InvariantCulture);
        return entries.Where(entry => entry.TryGetProperty("_PID", out JsonElement entryPid) && entryPid.GetString() == pidText).ToList();
    }

    private static async Task WaitForJournalAsync(SystemdContainer systemd, Func<JsonElement, bool> match, string description)
    {
        await Poll.UntilAsync(async () =>
        {
            IReadOnlyList<JsonElement> entries = await systemd.JournalAsync(Unit);
            return (entries.Any(match), string.Join("\n", entries.Select(entry => $"<{Priority(entry)}> {Message(entry)}")));
        }, Timeout, $"the journal of {Unit} has {description}");
    }

    /// <summary>The entry's syslog priority (0 emerg to 7 debug), which journald takes from the line's "&lt;N&gt;" prefix.</summary>
    private static int Priority(JsonElement entry) =>
        entry.TryGetProperty("PRIORITY", out JsonElement priority) ? int.Parse(priority.GetString()!, CultureInfo.InvariantCulture) : -1;

    /// <summary>The entry's text; journalctl writes a message that is not valid UTF-8 as an array of bytes, shown here as empty.</summary>
    private static string Message(JsonElement entry) =>
        entry.TryGetProperty("MESSAGE", out JsonElement message) && message.ValueKind == JsonValueKind.String ? message.GetString()! : "";
}
