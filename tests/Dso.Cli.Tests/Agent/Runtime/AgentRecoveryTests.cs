using System.Text.Json;
using Dso.Agent.Journal;
using Dso.Agent.Locks;
using Dso.Cli.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Dso.Cli.Tests.Agent.Runtime;

/// <summary>
/// Crash safety of the real agent process: SIGKILL at every step of a rotation (through the test-only crash point
/// DSO_TEST_CRASH_AT), restarts with and without changes, stale locks, retention and fetch errors.
/// </summary>
[Collection(ProcessHeavyTests.Name)]
public sealed class AgentRecoveryTests
{
    private const string FilePath = "/run/secrets/dso/db_password";
    private const int KilledBySigKill = 128 + 9;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static TheoryData<string, string> CrashPoints => new()
    {
        { "rolling", "planned" },
        { "rolling", "new-container-created" },
        { "rolling", "started" },
        { "rolling", "healthy" },
        { "rolling", "old-renamed" },
        { "rolling", "swapped" },
        { "rolling", "old-removed" },
        { "restart", "planned" },
        { "restart", "old-renamed" },
        { "restart", "new-container-created" },
        { "restart", "started" },
        { "restart", "healthy" },
        { "restart", "swapped" },
        { "restart", "old-removed" },
        { "signal", "planned" },
        { "signal", "files-written" },
    };

    [Theory]
    [MemberData(nameof(CrashPoints))]
    public async Task KilledAtStep_Restart_Recovers(string strategy, string crashPoint)
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "value-1");
        await scenario.SetSecretAsync("api_key", "key-1");
        string signalLines = strategy == "signal" ? "      signal: SIGUSR1\n" : "";
        string secret = AgentScenario.Secret("db_password", strategy, rotationExtra: signalLines);
        string apiKey = AgentScenario.Secret("api_key", strategy, AgentScenario.AsEnvironment("API_KEY"), signalLines);
        if (strategy == "signal")
        {
            secret = secret.Replace("      health_timeout: 20s\n", "", StringComparison.Ordinal);
            apiKey = apiKey.Replace("      health_timeout: 20s\n", "", StringComparison.Ordinal);
        }

        // The environment secret only rides along with rolling and restart: a signal cannot change an environment.
        scenario.WriteConfig(strategy == "signal" ? secret : secret + apiKey);
        string name = $"dso-{scenario.Label}-app";
        await scenario.RunContainerAsync(name, "trap '' USR1; while :; do sleep 0.2; done");
        await using (AgentProcess first = scenario.StartAgent())
        {
            await scenario.WaitForSingleContainerAsync(name, async () =>
                await AgentScenario.ReadFileAsync(name, FilePath) == "value-1", Timeout, "the first value is delivered");
        }

        await scenario.SetSecretAsync("db_password", "value-2");
        AgentProcess crashing = scenario.StartAgent(new Dictionary<string, string> { ["DSO_TEST_CRASH_AT"] = crashPoint });
        int exitCode = await crashing.WaitForExitAsync(Timeout);
        Assert.True(exitCode == KilledBySigKill, $"The agent should have killed itself at {crashPoint}; it exited with {exitCode}. Log:\n{crashing.Log}");
        Assert.Contains(scenario.Rotations(), record => !IsFinished(record));

        AgentProcess recovering = scenario.StartAgent();
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "value-2"
            && (strategy == "signal" || await AgentScenario.ReadEnvironmentAsync(name, "API_KEY") == "key-1")
            && scenario.Rotations().All(IsFinished)
            && AgentScenario.StepOf(scenario.Rotations()[^1]) is "Completed" or "Recovered",
            Timeout, $"recovery from a crash at {crashPoint} leaves one container with the new value, and the journal says so");

        IReadOnlyList<JsonElement> rotations = scenario.Rotations();
        Assert.Contains(rotations, record => AgentScenario.StepOf(record) is "Recovered" or "RolledBack");
        JsonElement last = rotations[^1];
        Assert.True(AgentScenario.StepOf(last) is "Completed" or "Recovered", scenario.DescribeJournal());
        Assert.Contains(last.GetProperty("secrets").EnumerateArray(), version => version.GetProperty("name").GetString() == "db_password");
        Assert.Empty(Directory.GetFiles(scenario.LockDirectory));
        Assert.Contains("interrupted rotations recovered", recovering.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_RotatesOnlyChanges()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "value-1");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling"));
        string name = $"dso-{scenario.Label}-app";
        await scenario.RunContainerAsync(name);
        await using (AgentProcess first = scenario.StartAgent())
        {
            await scenario.WaitForSingleContainerAsync(name, async () =>
                await AgentScenario.ReadFileAsync(name, FilePath) == "value-1", Timeout, "the first value is delivered");
        }

        int afterFirstRun = scenario.Rotations().Count;
        string id = await DockerCli.InspectAsync(name, "{{.Id}}");
        await using (AgentProcess unchanged = scenario.StartAgent())
        {
            await unchanged.WaitUntilStartedAsync();

            // Three poll intervals plus the debounce: time enough for a rotation that should not happen.
            await Task.Delay(TimeSpan.FromSeconds(5));
        }

        Assert.Equal(afterFirstRun, scenario.Rotations().Count);
        Assert.Equal(id, await DockerCli.InspectAsync(name, "{{.Id}}"));

        // A change made while no agent runs is caught up once.
        await scenario.SetSecretAsync("db_password", "value-2");
        await using AgentProcess changed = scenario.StartAgent();
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "value-2", Timeout, "the change is delivered");
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(afterFirstRun + 1, scenario.Rotations().Count);
    }

    [Fact]
    public async Task JointChanges_OneReplacement()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "value-1");
        await scenario.SetSecretAsync("api_key", "key-1");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling", rotationExtra: "")
            .Replace("debounce: 1s", "debounce: 3s", StringComparison.Ordinal)
            + AgentScenario.Secret("api_key", "rolling", AgentScenario.AsEnvironment("API_KEY")));
        string name = $"dso-{scenario.Label}-app";
        await scenario.RunContainerAsync(name);
        scenario.StartAgent();
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "value-1", Timeout, "the first values are delivered");
        int before = scenario.Rotations().Count;

        await scenario.SetSecretAsync("db_password", "value-2");
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await scenario.SetSecretAsync("api_key", "key-2");
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "value-2"
            && await AgentScenario.ReadEnvironmentAsync(name, "API_KEY") == "key-2", Timeout, "both changes are delivered");
        await Task.Delay(TimeSpan.FromSeconds(3));

        IReadOnlyList<JsonElement> rotations = scenario.Rotations();
        Assert.True(rotations.Count == before + 1, scenario.DescribeJournal());
        Assert.Equal(2, rotations[^1].GetProperty("secrets").GetArrayLength());
    }

    [Fact]
    public async Task FetchError_RotatesNothing()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "value-1");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling"));
        string name = $"dso-{scenario.Label}-app";
        await scenario.RunContainerAsync(name);
        AgentProcess agent = scenario.StartAgent();
        await scenario.WaitForSingleContainerAsync(name, async () =>
            await AgentScenario.ReadFileAsync(name, FilePath) == "value-1", Timeout, "the first value is delivered");
        int before = scenario.Rotations().Count;
        string id = await DockerCli.InspectAsync(name, "{{.Id}}");

        await DsoCli.RunOkAsync(scenario.Home, ["secret", "rm", "db_password"]);
        await agent.WaitForLogAsync("the last good value stays in use", Timeout);
        await Task.Delay(TimeSpan.FromSeconds(3));

        Assert.Equal(before, scenario.Rotations().Count);
        Assert.Equal(id, await DockerCli.InspectAsync(name, "{{.Id}}"));
        Assert.Equal("value-1", await AgentScenario.ReadFileAsync(name, FilePath));
        Assert.DoesNotContain("value-1", agent.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_CleansStaleLockAndRecords()
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        await scenario.SetSecretAsync("db_password", "value-1");
        scenario.WriteConfig(AgentScenario.Secret("db_password", "rolling"), "  state:\n    retention: 1d\n");

        // A lock whose owner is gone: the pid of a process that has exited.
        using var exited = System.Diagnostics.Process.Start("true")!;
        await exited.WaitForExitAsync();
        Directory.CreateDirectory(scenario.LockDirectory);
        string lockPath = Path.Combine(scenario.LockDirectory, LockManager.FileNameFor("container:gone"));
        var info = new LockInfo { Key = "container:gone", Pid = exited.Id, Host = Environment.MachineName, StartedAt = DateTimeOffset.UtcNow };
        await File.WriteAllTextAsync(lockPath, JsonSerializer.Serialize(info, LockJsonContext.Default.LockInfo));

        // One record finished ten days ago, and one kept: finished an hour ago.
        var past = new FakeTimeProvider(DateTimeOffset.UtcNow - TimeSpan.FromDays(10));
        RotationJournal journal = RotationJournal.Open(scenario.JournalPath, past);
        RotationRecord old = journal.Begin("container:old", "restart", [new SecretVersion("db_password", "host", "1")], "a", "old");
        journal.Advance(old.Id, RotationStep.Completed);
        past.Advance(TimeSpan.FromDays(10) - TimeSpan.FromHours(1));
        RotationRecord recent = journal.Begin("container:recent", "restart", [new SecretVersion("db_password", "host", "1")], "b", "recent");
        journal.Advance(recent.Id, RotationStep.Completed);

        AgentProcess agent = scenario.StartAgent();
        await agent.WaitUntilStartedAsync();

        Assert.False(File.Exists(lockPath));
        Assert.Contains("Removed stale lock", agent.Log, StringComparison.Ordinal);
        IReadOnlyList<string> ids = scenario.Rotations().Select(record => record.GetProperty("id").GetString()!).ToList();
        Assert.DoesNotContain(old.Id, ids);
        Assert.Contains(recent.Id, ids);
    }

    private static bool IsFinished(JsonElement record) => AgentScenario.StepOf(record) is "Completed" or "RolledBack" or "Recovered";
}
