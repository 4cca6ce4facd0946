using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Agent.Runtime;

/// <summary>The agent as a service: systemd readiness, journald log lines, and its socket API used by dso status and dso rotate.</summary>
[Collection(ProcessHeavyTests.Name)]
public sealed class AgentServiceTests
{
    private const string FilePath = "/run/secrets/dso/db_password";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Systemd_ReadyAndStopping_Notified()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "value-1");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling"));
        string notifyPath = Path.Combine(scenario.Home.Root, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(notifyPath));

        AgentProcess agent = scenario.StartAgent(new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath });
        string ready = await ReceiveAsync(notify);
        Assert.Contains("READY=1", ready, StringComparison.Ordinal);

        // READY means start-up is done, so the socket API responds at once.
        DsoResult status = await DsoCli.RunOkAsync(scenario.Home, ["--config", scenario.ConfigPath, "status", "--json"]);
        Assert.Equal(agent.Pid, JsonDocument.Parse(status.StandardOutput).RootElement.GetProperty("pid").GetInt32());

        await agent.StopAsync();
        Assert.Contains("STOPPING=1", await ReceiveAsync(notify), StringComparison.Ordinal);
        Assert.Equal(0, agent.ExitCode);
        Assert.Contains("<6>", agent.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusAndRotate_RealAgent_Work()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "value-1");

        // A long poll interval: only dso rotate can bring the change in time.
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling").Replace("debounce: 1s", "debounce: 1h", StringComparison.Ordinal));
        File.WriteAllText(scenario.ConfigPath, File.ReadAllText(scenario.ConfigPath).Replace("poll_interval: 1s", "poll_interval: 1h", StringComparison.Ordinal));
        string name = $"dso-{scenario.Label}-app";
        await scenario.RunContainerAsync(name, "while :; do sleep 0.2; done", "--mount",
            $"type=bind,source={await PrepareInitialMountAsync(scenario, name)},target=/run/secrets/dso,readonly");
        AgentProcess agent = scenario.StartAgent();
        await agent.WaitUntilStartedAsync();
        string id = await DockerCli.InspectAsync(name, "{{.Id}}");

        DsoResult status = await DsoCli.RunOkAsync(scenario.Home, ["--config", scenario.ConfigPath, "status", "--json"]);
        JsonElement target = JsonDocument.Parse(status.StandardOutput).RootElement.GetProperty("targets")[0];
        Assert.Equal($"container:{name}", target.GetProperty("target").GetString());
        Assert.Equal("rolling", target.GetProperty("strategy").GetString());

        await scenario.SetSecretAsync("db_password", "value-2");
        DsoResult rotate = await DsoCli.RunOkAsync(scenario.Home, ["--config", scenario.ConfigPath, "rotate", "db_password", "--json"]);
        JsonElement outcome = JsonDocument.Parse(rotate.StandardOutput).RootElement.GetProperty("rotations")[0];
        Assert.Equal("completed", outcome.GetProperty("outcome").GetString());
        Assert.Equal("value-2", await AgentScenario.ReadFileAsync(name, FilePath));
        Assert.NotEqual(id, await DockerCli.InspectAsync(name, "{{.Id}}"));
        Assert.DoesNotContain("value-2", agent.Log + rotate.StandardError, StringComparison.Ordinal);

        DsoResult unknown = await DsoCli.RunAsync(scenario.Home, ["--config", scenario.ConfigPath, "rotate", "no_such_secret"]);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Contains("no_such_secret is not declared", unknown.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Socket_OutsideGroup_Rejected()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "value-1");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling"));
        string group = "dsotest" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        Assert.Equal(0, AgentTestRoot.Run("groupadd", "--system", group).ExitCode);
        string socketDirectory = Directory.CreateTempSubdirectory("dso-socket-").FullName;
        try
        {
            File.SetUnixFileMode(socketDirectory, (UnixFileMode)0b111_101_101);
            string socket = Path.Combine(socketDirectory, "dso.sock");
            AgentProcess agent = scenario.StartAgent(new Dictionary<string, string> { ["DSO_SOCKET"] = socket, ["DSO_GROUP"] = group });
            await agent.WaitUntilStartedAsync();
            Assert.Equal((UnixFileMode)0b110_110_000, File.GetUnixFileMode(socket));

            ProcessResult denied = await RunAsNobodyAsync(socket, group);
            Assert.Equal(1, denied.ExitCode);
            Assert.Contains("Permission denied", denied.StandardError, StringComparison.Ordinal);

            // With the file mode out of the way, the peer credential check still refuses the caller.
            File.SetUnixFileMode(socket, (UnixFileMode)0b110_110_110);
            ProcessResult rejected = await RunAsNobodyAsync(socket, group);
            Assert.Equal(1, rejected.ExitCode);
            Assert.Contains("HTTP 403", rejected.StandardError, StringComparison.Ordinal);
            await agent.WaitForLogAsync("Rejected a connection to the agent API from uid 65534", Timeout);
        }
        finally
        {
            AgentTestRoot.Run("groupdel", group);
            Directory.Delete(socketDirectory, recursive: true);
        }
    }

    /// <summary>Writes the value where the agent's first generation lives, so the container starts with its secret mounted.</summary>
    private static async Task<string> PrepareInitialMountAsync(AgentScenario scenario, string name)
    {
        string directory = Path.Combine(scenario.Home.RuntimeDirectory, "agent.d", "container_3a" + name.Replace("_", "_5f", StringComparison.Ordinal), "g0", "_2frun_2fsecrets_2fdso");
        Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "db_password"), "value-1");
        return directory;
    }

    private static Task<ProcessResult> RunAsNobodyAsync(string socket, string group) =>
        ExternalProcess.RunAsync(
            "setpriv",
            ["--reuid=65534", "--regid=65534", "--clear-groups", "--", DsoCli.ExecutablePath, "status", "--json"],
            TimeSpan.FromMinutes(1),
            new Dictionary<string, string> { ["DSO_SOCKET"] = socket, ["DSO_GROUP"] = group, ["HOME"] = "/nonexistent", ["DSO_HOME"] = "/nonexistent/.dso" });

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        byte[] buffer = new byte[4096];
        using var timeout = new CancellationTokenSource(Timeout);
        int received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, received);
    }
}
