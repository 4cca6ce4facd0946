using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Agent.Runtime;

/// <summary>
/// One agent test's world: a local vault (the agent's provider), a dso.yaml, busybox containers carrying a label
/// unique to the test, and the agent processes started for it. Dispose stops the agents and removes every
/// container with the label, copies included (they keep the original's labels).
/// </summary>
public sealed class AgentScenario : IAsyncDisposable
{
    public const string Image = "dso-busybox:latest";

    public const string TestLabel = "dso.test";

    private readonly List<AgentProcess> _agents = [];

    private AgentScenario(TestHome home)
    {
        Home = home;
        Label = "agent-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        Home.Environment["DSO_ETC_DIR"] = Path.Combine(home.Root, "etc");
    }

    public TestHome Home { get; }

    /// <summary>The value of the dso.test label of this test's containers.</summary>
    public string Label { get; }

    public string ConfigPath => Path.Combine(Home.Root, "dso.yaml");

    public string JournalPath => Path.Combine(Home.Environment["DSO_STATE_DIR"], "rotations.json");

    public string LockDirectory => Home.Environment["DSO_LOCK_DIR"];

    public static async Task<AgentScenario> CreateAsync()
    {
        var home = new TestHome();
        await home.InitializeAsync();
        return new AgentScenario(home);
    }

    /// <summary>
    /// Writes dso.yaml with a local provider, a 1 s poll interval and the given entries of secrets: (see
    /// <see cref="Secret"/>). {label} in them becomes this test's label. <paramref name="agentExtra"/> holds more
    /// lines of the agent: mapping, indented by two spaces.
    /// </summary>
    public void WriteConfig(string secrets, string agentExtra = "") =>
        WriteConfigWithProviders($"  host:\n    type: local\n    vault_path: {Home.VaultPath}\n", secrets, agentExtra);

    /// <summary>
    /// Writes dso.yaml as <see cref="WriteConfig"/> does, with <paramref name="providers"/> as the entries of
    /// providers: (indented by two spaces, each line ending with a newline) in place of the local provider.
    /// </summary>
    public void WriteConfigWithProviders(string providers, string secrets, string agentExtra = "")
    {
        string text = $"mode: agent\nproviders:\n{providers}" +
            $"agent:\n  poll_interval: 1s\n{agentExtra}secrets:\n{secrets.Replace("{label}", Label, StringComparison.Ordinal)}";
        File.WriteAllText(ConfigPath, text);
    }

    /// <summary>
    /// One entry of secrets: for secret NAME, targeted at this test's label, with 1 s debounce and cooldown.
    /// <paramref name="inject"/> and <paramref name="rotationExtra"/> are YAML lines indented as under the secret
    /// (4 and 6 spaces), each ending with a newline.
    /// </summary>
    public static string Secret(string name, string strategy, string inject = "", string rotationExtra = "", string healthTimeout = "20s") =>
        $"  {name}:\n    provider: host\n    path: {name}\n{inject}    targets:\n      labels:\n        dso.test: \"{{label}}\"\n" +
        $"    rotation:\n      strategy: {strategy}\n      debounce: 1s\n      cooldown: 1s\n      health_timeout: {healthTimeout}\n{rotationExtra}";

    /// <summary>The inject: lines of an environment-variable secret.</summary>
    public static string AsEnvironment(string variable) => $"    inject:\n      as: env\n      env: {variable}\n";

    public Task SetSecretAsync(string name, string value) => DsoCli.SetSecretAsync(Home, name, value);

    /// <summary>Starts a busybox container with this test's label that stops within a second.</summary>
    public async Task<string> RunContainerAsync(string name, string command = "while :; do sleep 0.2; done", params string[] options)
    {
        ProcessResult result = await DockerCli.RunOkAsync(
        [
            "run", "--detach", "--name", name, "--label", $"{TestLabel}={Label}", "--stop-timeout", "1", .. options,
            Image, "sh", "-c", command,
        ]);
        return result.StandardOutput.Trim();
    }

    public AgentProcess StartAgent(IReadOnlyDictionary<string, string>? environment = null)
    {
        var agent = AgentProcess.Start(Home, ConfigPath, environment);
        _agents.Add(agent);
        return agent;
    }

    /// <summary>Ids of every container of this test, running or not, temporary copies included.</summary>
    public Task<IReadOnlyList<string>> ContainersAsync() => DockerCli.ContainersWithLabelAsync(TestLabel, Label);

    /// <summary>Names and states of this test's containers, for failure messages.</summary>
    public async Task<string> DescribeContainersAsync()
    {
        ProcessResult result = await DockerCli.RunAsync("ps", "--all", "--filter", $"label={TestLabel}={Label}", "--format", "{{.ID}} {{.Names}} {{.Status}}");
        return result.StandardOutput.Trim();
    }

    public static async Task<string> ReadFileAsync(string container, string path)
    {
        ProcessResult result = await DockerCli.ExecAsync(container, "cat", path);
        return result.ExitCode == 0 ? result.StandardOutput : $"(cat failed: {result.StandardError.Trim()})";
    }

    public static async Task<string> ReadEnvironmentAsync(string container, string variable)
    {
        ProcessResult result = await DockerCli.ExecAsync(container, "sh", "-c", $"printf %s \"${variable}\"");
        return result.ExitCode == 0 ? result.StandardOutput : $"(exec failed: {result.StandardError.Trim()})";
    }

    /// <summary>Waits until exactly one container of the test runs, named <paramref name="name"/>, and <paramref name="check"/> holds for it.</summary>
    public async Task WaitForSingleContainerAsync(string name, Func<Task<bool>> check, TimeSpan timeout, string description)
    {
        await Poll.UntilAsync(async () =>
        {
            IReadOnlyList<string> all = await ContainersAsync();
            ProcessResult running = await DockerCli.RunAsync("ps", "--quiet", "--filter", $"label={TestLabel}={Label}", "--filter", $"name=^{name}$");
            bool done = all.Count == 1 && DockerCli.Lines(running.StandardOutput).Count == 1 && await check();
            return (done, await DescribeContainersAsync());
        }, timeout, description);
    }

    /// <summary>The journal's rotation records, oldest first.</summary>
    public IReadOnlyList<JsonElement> Rotations()
    {
        if (!File.Exists(JournalPath))
        {
            return [];
        }

        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(JournalPath));
        return document.RootElement.GetProperty("rotations").EnumerateArray().Select(record => record.Clone()).ToList();
    }

    /// <summary>The one target of <c>dso status --json</c>, or {"state":"none"} while the agent lists none or several.</summary>
    public async Task<JsonElement> TargetStatusAsync()
    {
        DsoResult status = await DsoCli.RunOkAsync(Home, ["--config", ConfigPath, "status", "--json"]);
        JsonElement targets = JsonDocument.Parse(status.StandardOutput).RootElement.GetProperty("targets");
        return targets.GetArrayLength() == 1 ? targets[0].Clone() : JsonDocument.Parse("{\"state\":\"none\"}").RootElement.Clone();
    }

    public static string StepOf(JsonElement record) => record.GetProperty("step").GetString()!;

    public string DescribeJournal() =>
        string.Join("\n", Rotations().Select(record => string.Create(CultureInfo.InvariantCulture,
            $"{record.GetProperty("id").GetString()} {record.GetProperty("strategy").GetString()} {StepOf(record)} {(record.TryGetProperty("error", out JsonElement error) ? error.GetString() : "")}")));

    public async ValueTask DisposeAsync()
    {
        try
        {
            foreach (AgentProcess agent in _agents)
            {
                await agent.DisposeAsync();
            }
        }
        finally
        {
            IReadOnlyList<string> containers = await ContainersAsync();
            if (containers.Count > 0)
            {
                await DockerCli.RunAsync(["rm", "--force", .. containers]);
            }

            Home.Dispose();
        }
    }
}
