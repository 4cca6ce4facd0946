using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Agent.Runtime;

/// <summary>Faults from outside the agent: a container removed by hand, a second agent, a target that cannot be handled.</summary>
[Collection(ProcessHeavyTests.Name)]
public sealed class AgentFaultTests
{
    private const string FilePath = "/run/secrets/dso/db_password";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task OldRemovedMidRolling_CopyServes()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "first");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling", healthTimeout: "60s"));
        string name = $"dso-{scenario.Label}-app";

        // The first value is healthy at once; a later one only once the test creates /tmp/ready.
        await scenario.RunContainerAsync(name, "while :; do sleep 0.2; done",
            "--health-cmd", $"test -f /tmp/ready || grep -q first {FilePath}", "--health-interval", "1s", "--health-retries", "1");
        scenario.StartAgent();
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "first", Timeout, "the first value is delivered");

        await scenario.SetSecretAsync("db_password", "second");
        string copy = "";
        await Poll.UntilAsync(async () =>
        {
            ProcessResult listed = await DockerCli.RunAsync("ps", "--filter", $"name={name}.dso-new-", "--format", "{{.Names}}");
            copy = listed.StandardOutput.Trim();
            return (copy.Length > 0, await scenario.DescribeContainersAsync());
        }, Timeout, "the rolling copy runs");
        await DockerCli.RunOkAsync("rm", "--force", name);
        await DockerCli.ExecOkAsync(copy, "touch", "/tmp/ready");

        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "second", Timeout, "the copy takes the service's name");
        JsonElement last = scenario.Rotations()[^1];
        Assert.True(AgentScenario.StepOf(last) is "Recovered" or "Completed", scenario.DescribeJournal());
    }

    [Fact]
    public async Task StopMidRolling_UndoesRotation()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "first");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling", healthTimeout: "60s"));
        string name = $"dso-{scenario.Label}-app";

        // Only the first value passes the health check, so the copy with the second one stays unhealthy.
        await scenario.RunContainerAsync(name, "while :; do sleep 0.2; done",
            "--health-cmd", $"grep -q first {FilePath}", "--health-interval", "1s", "--health-retries", "1");
        AgentProcess agent = scenario.StartAgent();
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "first", Timeout, "the first value is delivered");
        string serving = await DockerCli.InspectAsync(name, "{{.Id}}");

        await scenario.SetSecretAsync("db_password", "second");
        await Poll.UntilAsync(async () =>
        {
            ProcessResult listed = await DockerCli.RunAsync("ps", "--filter", $"name={name}.dso-new-", "--format", "{{.Names}}");
            return (listed.StandardOutput.Trim().Length > 0, await scenario.DescribeContainersAsync());
        }, Timeout, "the rolling copy runs");
        await agent.StopAsync();

        Assert.Equal(0, agent.ExitCode);
        Assert.Equal(serving, await DockerCli.InspectAsync(name, "{{.Id}}"));
        Assert.Equal("first", await AgentScenario.ReadFileAsync(name, FilePath));
        Assert.Equal([serving], await scenario.ContainersAsync());
        JsonElement last = scenario.Rotations()[^1];
        Assert.Equal("RolledBack", AgentScenario.StepOf(last));
        Assert.Contains("went back to the old container", agent.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecondAgent_SameState_Rejected()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "first");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling"));
        AgentProcess first = scenario.StartAgent();
        await first.WaitUntilStartedAsync();

        AgentProcess second = scenario.StartAgent(new Dictionary<string, string> { ["DSO_SOCKET"] = Path.Combine(scenario.Home.Root, "second.sock") });
        int exitCode = await second.WaitForExitAsync(Timeout);

        Assert.Equal(1, exitCode);
        Assert.Contains($"Another dso agent (pid {first.Pid}) already uses the state directory", second.Log, StringComparison.Ordinal);
        Assert.False(first.HasExited);
    }

    [Fact]
    public async Task FailingTarget_OthersContinue()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "first");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling"));

        // A name this long makes the target's lock file name longer than a file system allows.
        string longName = $"dso-{scenario.Label}-" + new string('x', 230);
        string name = $"dso-{scenario.Label}-app";
        await scenario.RunContainerAsync(longName);
        await scenario.RunContainerAsync(name);
        AgentProcess agent = scenario.StartAgent();

        await Poll.UntilAsync(async () =>
        {
            string value = await AgentScenario.ReadFileAsync(name, FilePath);
            return (value == "first", value);
        }, Timeout, "the other container gets its value");
        await agent.WaitForLogAsync("could not be checked or rotated", Timeout);
        Assert.False(agent.HasExited);
    }

    [Fact]
    public async Task DockerUnreachable_ExitsNamingEngine()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "first");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling"));
        string socket = Path.Combine(scenario.Home.Root, "no-engine.sock");

        AgentProcess agent = scenario.StartAgent(new Dictionary<string, string> { ["DOCKER_HOST"] = $"unix://{socket}" });
        int exitCode = await agent.WaitForExitAsync(Timeout);

        Assert.Equal(1, exitCode);
        Assert.Contains($"dso: The agent stopped: the Docker engine at unix://{socket} did not answer", agent.Log, StringComparison.Ordinal);
        Assert.Contains("DOCKER_HOST", agent.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("unexpected error", agent.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SecretNotFetched_TargetShowsWaiting()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("unrelated", "x");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling"));
        string name = $"dso-{scenario.Label}-app";
        await scenario.RunContainerAsync(name);
        AgentProcess agent = scenario.StartAgent();
        await agent.WaitUntilStartedAsync();

        JsonElement waiting = default;
        await Poll.UntilAsync(async () =>
        {
            waiting = await scenario.TargetStatusAsync();
            return (waiting.GetProperty("state").GetString() == "waiting", waiting.ToString());
        }, Timeout, "the target waits for the secret's first value");
        Assert.StartsWith("secret db_password has no value yet", waiting.GetProperty("last_error").GetString(), StringComparison.Ordinal);
        await agent.WaitForLogAsync("Secret db_password: fetch from host failed", Timeout);
        Assert.Contains("its targets wait for a first value", agent.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("the last good value stays in use", agent.Log, StringComparison.Ordinal);
        DsoResult rotate = await DsoCli.RunAsync(scenario.Home, ["--config", scenario.ConfigPath, "rotate", "db_password", "--json"]);
        Assert.Equal(1, rotate.ExitCode);
        using (JsonDocument rotateResult = JsonDocument.Parse(rotate.StandardOutput))
        {
            Assert.Equal(0, rotateResult.RootElement.GetProperty("rotations").GetArrayLength());
            Assert.Contains("db_password", rotateResult.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        }


        await scenario.SetSecretAsync("db_password", "first");
        await Poll.UntilAsync(async () =>
        {
            string value = await AgentScenario.ReadFileAsync(name, FilePath);
            return (value == "first", value);
        }, Timeout, "the value is delivered once it exists");
        JsonElement current = default;
        await Poll.UntilAsync(async () =>
        {
            current = await scenario.TargetStatusAsync();
            return (current.GetProperty("state").GetString() == "current", current.ToString());
        }, Timeout, "the target is current");
        Assert.Equal(JsonValueKind.Null, current.GetProperty("last_error").ValueKind);
    }

    [Fact]
    public async Task UndeliverableSecret_TargetShowsFailed()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "a\0b");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "restart", inject: AgentScenario.AsEnvironment("DB_PASSWORD")));
        await scenario.RunContainerAsync($"dso-{scenario.Label}-app");
        AgentProcess agent = scenario.StartAgent();
        await agent.WaitUntilStartedAsync();

        JsonElement target = default;
        await Poll.UntilAsync(async () =>
        {
            target = await scenario.TargetStatusAsync();
            return (target.GetProperty("last_error").ValueKind == JsonValueKind.String, target.ToString());
        }, Timeout, "the target reports that the value cannot be delivered");
        await agent.WaitForLogAsync("cannot receive its secrets", Timeout);
        target = await scenario.TargetStatusAsync();

        Assert.Equal("failed", target.GetProperty("state").GetString());
        Assert.Contains("contains a NUL byte", target.GetProperty("last_error").GetString(), StringComparison.Ordinal);
    }
}
