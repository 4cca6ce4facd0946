using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Agent.Runtime;

/// <summary>Each rotation strategy end to end: the real agent process, a local vault and busybox containers on the real engine.</summary>
[Collection(ProcessHeavyTests.Name)]
public sealed class AgentStrategyTests
{
    private const string FilePath = "/run/secrets/dso/db_password";
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Rolling_DeliversNewValues()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "first-value");
        await scenario.SetSecretAsync("api_key", "key-1");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling") + AgentScenario.Secret("api_key", "rolling", AgentScenario.AsEnvironment("API_KEY")));
        string name = $"dso-{scenario.Label}-app";

        // An exposed port puts a map of value types in the inspect response, which the published binary must read.
        string original = await scenario.RunContainerAsync(name, "while :; do sleep 0.2; done", "--expose", "8080");
        scenario.StartAgent();

        // The container was started without the secret mount, so the agent replaces it once to deliver.
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "first-value"
            && await AgentScenario.ReadEnvironmentAsync(name, "API_KEY") == "key-1", Timeout, "the first values are delivered");
        string delivered = await DockerCli.InspectAsync(name, "{{.Id}}");
        Assert.NotEqual(original, delivered);

        await scenario.SetSecretAsync("db_password", "second-value");
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "second-value", Timeout, "the rolling rotation delivers the new value");

        Assert.NotEqual(delivered, await DockerCli.InspectAsync(name, "{{.Id}}"));
        Assert.Equal("key-1", await AgentScenario.ReadEnvironmentAsync(name, "API_KEY"));
        JsonElement last = scenario.Rotations()[^1];
        Assert.Equal("rolling", last.GetProperty("strategy").GetString());
        Assert.Equal("Completed", AgentScenario.StepOf(last));
        Assert.Contains(last.GetProperty("history").EnumerateArray(), step => step.GetProperty("step").GetString() == "Healthy");
    }

    [Fact]
    public async Task Restart_KeepsNameAndPorts()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "first-value");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "restart"));
        string name = $"dso-{scenario.Label}-app";
        await scenario.RunContainerAsync(name, "while :; do sleep 0.2; done", "--publish", "127.0.0.1::8080");
        scenario.StartAgent();
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "first-value", Timeout, "the first value is delivered");
        string delivered = await DockerCli.InspectAsync(name, "{{.Id}}");

        await scenario.SetSecretAsync("db_password", "second-value");
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "second-value", Timeout, "the restart rotation delivers the new value");

        Assert.NotEqual(delivered, await DockerCli.InspectAsync(name, "{{.Id}}"));
        Assert.Equal("restart", scenario.Rotations()[^1].GetProperty("strategy").GetString());

        // The published port survives the recreation, still bound to 127.0.0.1 only.
        Assert.Equal("127.0.0.1", await DockerCli.InspectAsync(name, "{{(index (index .HostConfig.PortBindings \"8080/tcp\") 0).HostIp}}"));
    }

    [Fact]
    public async Task Signal_SwapsFileAndSignals()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "first-value");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "signal", rotationExtra: "      signal: SIGUSR1\n").Replace("      health_timeout: 20s\n", "", StringComparison.Ordinal));
        string name = $"dso-{scenario.Label}-app";
        await scenario.RunContainerAsync(name, $"trap 'cat {FilePath} > /tmp/reloaded' USR1; while :; do sleep 0.2; done");
        scenario.StartAgent();
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "first-value", Timeout, "the first value is delivered");
        string delivered = await DockerCli.InspectAsync(name, "{{.Id}}");

        await scenario.SetSecretAsync("db_password", "second-value");
        await Poll.UntilAsync(async () =>
        {
            string reloaded = await AgentScenario.ReadFileAsync(name, "/tmp/reloaded");
            return (reloaded == "second-value", reloaded);
        }, Timeout, "the container's USR1 handler reads the new value");

        Assert.Equal(delivered, await DockerCli.InspectAsync(name, "{{.Id}}"));
        Assert.Equal("signal", scenario.Rotations()[^1].GetProperty("strategy").GetString());
    }

    [Fact]
    public async Task None_SwapsFileOnly()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "first-value");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "none").Replace("      health_timeout: 20s\n", "", StringComparison.Ordinal));
        string name = $"dso-{scenario.Label}-app";
        await scenario.RunContainerAsync(name, $"trap 'echo signalled > /tmp/signalled' HUP; while :; do sleep 0.2; done");
        scenario.StartAgent();
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "first-value", Timeout, "the first value is delivered");
        string delivered = await DockerCli.InspectAsync(name, "{{.Id}}");

        await scenario.SetSecretAsync("db_password", "second-value");
        await Poll.UntilAsync(async () =>
        {
            string value = await AgentScenario.ReadFileAsync(name, FilePath);
            return (value == "second-value", value);
        }, Timeout, "the file holds the new value");

        Assert.Equal(delivered, await DockerCli.InspectAsync(name, "{{.Id}}"));
        Assert.StartsWith("(cat failed", await AgentScenario.ReadFileAsync(name, "/tmp/signalled"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rolling_UnhealthyCopy_OldKeepsServing()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "good-1");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling", healthTimeout: "6s"));
        string name = $"dso-{scenario.Label}-app";
        await scenario.RunContainerAsync(name, "while :; do sleep 0.2; done",
            "--health-cmd", $"grep -q good {FilePath}", "--health-interval", "1s", "--health-retries", "1", "--health-timeout", "1s");
        AgentProcess agent = scenario.StartAgent();
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "good-1", Timeout, "the first value is delivered");
        string serving = await DockerCli.InspectAsync(name, "{{.Id}}");

        await scenario.SetSecretAsync("db_password", "bad-2");
        await agent.WaitForLogAsync("failed and was rolled back", Timeout);
        await scenario.WaitForSingleContainerAsync(name, () => Task.FromResult(true), Timeout, "only the old container is left");

        Assert.Equal(serving, await DockerCli.InspectAsync(name, "{{.Id}}"));
        Assert.Equal("good-1", await AgentScenario.ReadFileAsync(name, FilePath));
        Assert.Equal("true", await DockerCli.InspectAsync(name, "{{.State.Running}}"));
        JsonElement failed = scenario.Rotations()[^1];
        Assert.Equal("RolledBack", AgentScenario.StepOf(failed));
        Assert.Contains("unhealthy", failed.GetProperty("error").GetString(), StringComparison.Ordinal);

        // Until the retry, several passes of the loop must leave the target failed, with the reason.
        for (int check = 0; check < 3; check++)
        {
            JsonElement target = await scenario.TargetStatusAsync();
            Assert.Equal("failed", target.GetProperty("state").GetString());
            Assert.Contains("unhealthy", target.GetProperty("last_error").GetString(), StringComparison.Ordinal);
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        // The rotation is retried with backoff; a good value then goes through.
        await scenario.SetSecretAsync("db_password", "good-3");
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "good-3", Timeout, "the retried rotation delivers the good value");
    }
}
