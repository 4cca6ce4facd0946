using System.Text.Json;
using Dso.Agent.Tests.Providers.Aws;
using Dso.Agent.Tests.Providers.Azure;
using Dso.Agent.Tests.Providers.HashiCorp;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Agent.Runtime;

/// <summary>
/// The real agent process with busybox containers on the real engine, reading its secrets from the in-test Vault and
/// Secrets Manager servers on 127.0.0.1. A new version rotates only the container that uses it. An outage or an
/// authentication failure rotates nothing. No value reaches the agent's log or dso status.
/// </summary>
[Collection(ProcessHeavyTests.Name)]
public sealed class AgentProviderTests
{
    private const string DatabasePath = "app/db-password";
    private const string ApiKeyPath = "app/api-key";
    private const string DatabaseFile = "/run/secrets/dso/db_password";
    private const string ApiKeyFile = "/run/secrets/dso/api_key";
    private const string DatabaseValue1 = "db-VALUE-1-not-for-logs";
    private const string DatabaseValue2 = "db-VALUE-2-not-for-logs";
    private const string ApiKeyValue = "api-VALUE-1-not-for-logs";
    // Each test makes two or three rolling rotations, and on a loaded 2-core host one of them took over 30 s.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    // The circuit breaker pauses calls for 30 s and the Vault token check waits 30 s after a rejected token, so recovery takes longer.
    private static readonly TimeSpan RecoveryTimeout = TimeSpan.FromSeconds(180);

    // Several poll intervals of 1 s.
    private static readonly TimeSpan OutageObservation = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task Vault_NewVersion_RotatesOnlyItsContainer()
    {
        await using var provider = new VaultFake();
        await NewVersionRotatesOnlyItsContainerAsync(provider);
    }

    [Fact]
    public async Task Vault_SealedServer_RotatesNothing_UntilItAnswers()
    {
        await using var provider = new VaultFake();
        await OutageRotatesNothingAsync(provider, authenticationFailure: false);
    }

    [Fact]
    public async Task Vault_RevokedToken_MarksProviderUnhealthy()
    {
        await using var provider = new VaultFake();
        await OutageRotatesNothingAsync(provider, authenticationFailure: true);
    }

    [Fact]
    public async Task Aws_NewVersion_RotatesOnlyItsContainer()
    {
        await using var provider = new AwsFake();
        await NewVersionRotatesOnlyItsContainerAsync(provider);
    }

    [Fact]
    public async Task Aws_StoppedServer_RotatesNothing_UntilItAnswers()
    {
        await using var provider = new AwsFake();
        await OutageRotatesNothingAsync(provider, authenticationFailure: false);
    }

    [Fact]
    public async Task Aws_UnknownAccessKey_MarksProviderUnhealthy()
    {
        await using var provider = new AwsFake();
        await OutageRotatesNothingAsync(provider, authenticationFailure: true);
    }

    [Fact]
    public async Task AwsWebIdentity_NewVersion_RotatesContainer()
    {
        await using var provider = new AwsWebIdentityFake();
        await NewVersionRotatesOnlyItsContainerAsync(provider);
        Assert.True(provider.AssumeRoleCalls >= 1);
    }

    [Fact]
    public async Task Azure_NewVersion_RotatesOnlyItsContainer()
    {
        await using AzureFake provider = await AzureFake.StartAsync();
        await NewVersionRotatesOnlyItsContainerAsync(provider);
    }

    [Fact]
    public async Task Azure_Outage_RotatesNothing_UntilItAnswers()
    {
        await using AzureFake provider = await AzureFake.StartAsync();
        await OutageRotatesNothingAsync(provider, authenticationFailure: false);
    }

    [Fact]
    public async Task Azure_RejectedClientSecret_MarksProviderUnhealthy()
    {
        await using AzureFake provider = await AzureFake.StartAsync();
        await OutageRotatesNothingAsync(provider, authenticationFailure: true);
    }

    private static async Task NewVersionRotatesOnlyItsContainerAsync(FakeProvider provider)
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        (AgentProcess agent, Apps apps) = await StartAsync(scenario, provider);
        int rotationsBefore = scenario.Rotations().Count;

        await provider.PutAsync(DatabasePath, DatabaseValue2);
        await WaitForValuesAsync(scenario, apps, DatabaseValue2, "the new database value reaches app a");
        await WaitForCompletedRotationsAsync(scenario, rotationsBefore + 1);

        Assert.NotEqual(apps.DatabaseContainerId, await DockerCli.InspectAsync(apps.DatabaseApp, "{{.Id}}"));
        Assert.Equal(apps.ApiKeyContainerId, await DockerCli.InspectAsync(apps.ApiKeyApp, "{{.Id}}"));
        Assert.Equal(ApiKeyValue, await AgentScenario.ReadFileAsync(apps.ApiKeyApp, ApiKeyFile));
        JsonElement rotation = Assert.Single(scenario.Rotations().Skip(rotationsBefore));
        Assert.Contains(apps.DatabaseApp, rotation.GetProperty("target").GetString(), StringComparison.Ordinal);
        Assert.Equal("db_password", Assert.Single(rotation.GetProperty("secrets").EnumerateArray()).GetProperty("name").GetString());
        await AssertNoValueLeakedAsync(scenario, agent, provider);
    }

    /// <summary>
    /// Takes the provider away (an outage, or rejected credentials when <paramref name="authenticationFailure"/>),
    /// checks that nothing rotates and that the agent reports the failure, then brings it back with a new version
    /// of the database secret and checks that exactly that one rotation follows.
    /// </summary>
    private static async Task OutageRotatesNothingAsync(FakeProvider provider, bool authenticationFailure)
    {
        await using AgentScenario scenario = await AgentScenario.CreateAsync();
        (AgentProcess agent, Apps apps) = await StartAsync(scenario, provider);
        int rotationsBefore = scenario.Rotations().Count;

        if (authenticationFailure)
        {
            await provider.RejectCredentialsAsync();
        }
        else
        {
            await provider.StartOutageAsync();
        }

        await agent.WaitForLogAsync($"fetch from {provider.Name} failed", Timeout);
        JsonElement status = await WaitForStatusAsync(scenario, status =>
            SecretStatus(status, "db_password").GetProperty("error").ValueKind == JsonValueKind.String
            && (!authenticationFailure || !ProviderStatus(status, provider.Name).GetProperty("healthy").GetBoolean()),
            "dso status shows the fetch error");
        Assert.True(SecretStatus(status, "db_password").GetProperty("consecutive_errors").GetInt32() >= 1, status.ToString());
        string error = SecretStatus(status, "db_password").GetProperty("error").GetString()!;
        Assert.Contains($"Provider {provider.Name}", error, StringComparison.Ordinal);
        Assert.Contains(provider.ExpectedError(authenticationFailure), error, StringComparison.Ordinal);
        if (authenticationFailure)
        {
            Assert.False(string.IsNullOrEmpty(ProviderStatus(status, provider.Name).GetProperty("reason").GetString()), status.ToString());
        }

        // Every poll in the outage fails, and every container keeps its id and its value.
        for (var watched = TimeSpan.Zero; watched < OutageObservation; watched += TimeSpan.FromSeconds(1))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
            Assert.Equal(apps.DatabaseContainerId, await DockerCli.InspectAsync(apps.DatabaseApp, "{{.Id}}"));
            Assert.Equal(apps.ApiKeyContainerId, await DockerCli.InspectAsync(apps.ApiKeyApp, "{{.Id}}"));
            Assert.Equal(DatabaseValue1, await AgentScenario.ReadFileAsync(apps.DatabaseApp, DatabaseFile));
            Assert.Equal(ApiKeyValue, await AgentScenario.ReadFileAsync(apps.ApiKeyApp, ApiKeyFile));
        }

        Assert.Equal(2, (await scenario.ContainersAsync()).Count);
        Assert.Equal(rotationsBefore, scenario.Rotations().Count);

        await provider.RecoverWithNewVersionAsync(DatabasePath, DatabaseValue2);
        await WaitForValuesAsync(scenario, apps, DatabaseValue2, "the new database value reaches app a after the recovery", RecoveryTimeout);
        await WaitForCompletedRotationsAsync(scenario, rotationsBefore + 1);
        await WaitForStatusAsync(scenario, status =>
            SecretStatus(status, "db_password").GetProperty("error").ValueKind == JsonValueKind.Null
            && ProviderStatus(status, provider.Name).GetProperty("healthy").GetBoolean(),
            "dso status shows the provider healthy again");

        // A few more polls must not start a second rotation.
        await Task.Delay(TimeSpan.FromSeconds(3));
        JsonElement rotation = Assert.Single(scenario.Rotations().Skip(rotationsBefore));
        Assert.Contains(apps.DatabaseApp, rotation.GetProperty("target").GetString(), StringComparison.Ordinal);
        Assert.Equal("Completed", AgentScenario.StepOf(rotation));
        Assert.Equal(apps.ApiKeyContainerId, await DockerCli.InspectAsync(apps.ApiKeyApp, "{{.Id}}"));
        Assert.Equal(2, (await scenario.ContainersAsync()).Count);
        await AssertNoValueLeakedAsync(scenario, agent, provider);
    }

    /// <summary>
    /// Writes the first values, starts app a (database secret) and app b (API key) and the agent, and waits until the
    /// agent has delivered both values, which replaces each container once.
    /// </summary>
    private static async Task<(AgentProcess Agent, Apps Apps)> StartAsync(AgentScenario scenario, FakeProvider provider)
    {
        await provider.PutAsync(DatabasePath, DatabaseValue1);
        await provider.PutAsync(ApiKeyPath, ApiKeyValue);
        scenario.WriteConfigWithProviders(
            provider.ProvidersYaml,
            SecretEntry("db_password", provider, DatabasePath, "a") + SecretEntry("api_key", provider, ApiKeyPath, "b"));

        var apps = new Apps($"dso-{scenario.Label}-a", $"dso-{scenario.Label}-b");
        await scenario.RunContainerAsync(apps.DatabaseApp, "while :; do sleep 0.2; done", "--label", "dso.app=a");
        await scenario.RunContainerAsync(apps.ApiKeyApp, "while :; do sleep 0.2; done", "--label", "dso.app=b");
        AgentProcess agent = scenario.StartAgent(provider.Environment(scenario.Home.Root));

        await WaitForValuesAsync(scenario, apps, DatabaseValue1, "the first values are delivered");
        await WaitForCompletedRotationsAsync(scenario, 2);
        apps.DatabaseContainerId = await DockerCli.InspectAsync(apps.DatabaseApp, "{{.Id}}");
        apps.ApiKeyContainerId = await DockerCli.InspectAsync(apps.ApiKeyApp, "{{.Id}}");
        return (agent, apps);
    }

    /// <summary>One entry of secrets: for a secret at the fake provider, delivered as a file to the containers with dso.app=<paramref name="app"/>.</summary>
    private static string SecretEntry(string name, FakeProvider provider, string path, string app) =>
        $"  {name}:\n    provider: {provider.Name}\n    path: {path}\n{provider.KeyLines}" +
        $"    targets:\n      labels:\n        dso.test: \"{{label}}\"\n        dso.app: {app}\n" +
        "    rotation:\n      strategy: rolling\n      debounce: 1s\n      cooldown: 1s\n      health_timeout: 20s\n";

    private static Task WaitForValuesAsync(AgentScenario scenario, Apps apps, string databaseValue, string description) =>
        WaitForValuesAsync(scenario, apps, databaseValue, description, Timeout);

    /// <summary>Waits until only the two apps exist and they hold <paramref name="databaseValue"/> and the API key.</summary>
    private static async Task WaitForValuesAsync(AgentScenario scenario, Apps apps, string databaseValue, string description, TimeSpan timeout)
    {
        await Poll.UntilAsync(async () =>
        {
            IReadOnlyList<string> all = await scenario.ContainersAsync();
            bool done = all.Count == 2
                && await AgentScenario.ReadFileAsync(apps.DatabaseApp, DatabaseFile) == databaseValue
                && await AgentScenario.ReadFileAsync(apps.ApiKeyApp, ApiKeyFile) == ApiKeyValue;
            return (done, $"{await scenario.DescribeContainersAsync()}\njournal:\n{scenario.DescribeJournal()}");
        }, timeout, description);
    }

    private static async Task WaitForCompletedRotationsAsync(AgentScenario scenario, int count)
    {
        await Poll.UntilAsync(() =>
        {
            IReadOnlyList<JsonElement> rotations = scenario.Rotations();
            bool done = rotations.Count == count && rotations.All(rotation => AgentScenario.StepOf(rotation) == "Completed");
            return Task.FromResult((done, scenario.DescribeJournal()));
        }, Timeout, $"the journal holds {count} completed rotations");
    }

    private static async Task<JsonElement> StatusAsync(AgentScenario scenario)
    {
        DsoResult result = await DsoCli.RunOkAsync(scenario.Home, ["status", "--json"]);
        using JsonDocument document = JsonDocument.Parse(result.StandardOutput);
        return document.RootElement.Clone();
    }

    private static async Task<JsonElement> WaitForStatusAsync(AgentScenario scenario, Func<JsonElement, bool> condition, string description)
    {
        JsonElement status = default;
        await Poll.UntilAsync(async () =>
        {
            status = await StatusAsync(scenario);
            return (condition(status), status.ToString());
        }, RecoveryTimeout, description);
        return status;
    }

    private static JsonElement SecretStatus(JsonElement status, string name) =>
        status.GetProperty("secrets").EnumerateArray().Single(secret => secret.GetProperty("name").GetString() == name);

    private static JsonElement ProviderStatus(JsonElement status, string name) =>
        status.GetProperty("providers").EnumerateArray().Single(provider => provider.GetProperty("name").GetString() == name);

    /// <summary>Checks the agent's log and dso status for every secret value and credential of the test.</summary>
    private static async Task AssertNoValueLeakedAsync(AgentScenario scenario, AgentProcess agent, FakeProvider provider)
    {
        string log = agent.Log;
        string status = (await StatusAsync(scenario)).ToString();
        foreach (string secret in (string[])[DatabaseValue1, DatabaseValue2, ApiKeyValue, .. provider.Credentials])
        {
            Assert.DoesNotContain(secret, log, StringComparison.Ordinal);
            Assert.DoesNotContain(secret, status, StringComparison.Ordinal);
        }

        provider.AssertNoOtherTraffic();
    }

    private sealed record Apps(string DatabaseApp, string ApiKeyApp)
    {
        public string DatabaseContainerId { get; set; } = "";

        public string ApiKeyContainerId { get; set; } = "";
    }

    /// <summary>A fake cloud provider: its dso.yaml entry, the agent's environment, and the faults a test sets up.</summary>
    private abstract class FakeProvider : IAsyncDisposable
    {
        public abstract string Name { get; }

        /// <summary>The entry of providers: in dso.yaml.</summary>
        public abstract string ProvidersYaml { get; }

        /// <summary>Lines under a secret that select the value out of what the provider returns.</summary>
        public virtual string KeyLines => "";

        /// <summary>Credentials the agent holds, which no log may contain.</summary>
        public abstract IReadOnlyList<string> Credentials { get; }

        public abstract IReadOnlyDictionary<string, string> Environment(string testRoot);

        /// <summary>A part of the fetch error that names the failed call and its cause.</summary>
        public abstract string ExpectedError(bool authenticationFailure);

        public abstract Task PutAsync(string path, string value);

        /// <summary>Makes every call fail as the provider does when it is down.</summary>
        public abstract Task StartOutageAsync();

        /// <summary>Makes the provider reject the agent's credentials.</summary>
        public abstract Task RejectCredentialsAsync();

        /// <summary>Ends the outage or the rejection, with a new version of <paramref name="path"/> in place.</summary>
        public abstract Task RecoverWithNewVersionAsync(string path, string value);

        /// <summary>Fails the test when the agent sent a request anywhere but to this provider's server.</summary>
        public virtual void AssertNoOtherTraffic()
        {
        }

        public abstract ValueTask DisposeAsync();
    }

    /// <summary>Vault with a KV version 2 mount and token auth; an outage is a sealed Vault (503 to every call).</summary>
    private sealed class VaultFake : FakeProvider
    {
        private const string Token = "hvs.E2E-TOKEN-5eed-not-for-logs";
        private const string Mount = "secret";

        private readonly FakeVaultServer _server = new(TimeProvider.System);

        public VaultFake()
        {
            _server.AddToken(Token);
            _server.AddMount(Mount, kvVersion: 2);
        }

        public override string Name => "vault_main";

        public override string ProvidersYaml =>
            $"  {Name}:\n    type: vault\n    address: {_server.Address}\n    mount: {Mount}\n    kv_version: 2\n" +
            "    auth:\n      method: token\n      token: ${VAULT_TOKEN}\n";

        public override string KeyLines => "    key: password\n";

        public override IReadOnlyList<string> Credentials => [Token];

        public override IReadOnlyDictionary<string, string> Environment(string testRoot) =>
            new Dictionary<string, string>(StringComparer.Ordinal) { ["VAULT_TOKEN"] = Token };

        public override string ExpectedError(bool authenticationFailure) =>
            authenticationFailure ? "GET /v1/auth/token/lookup-self returned HTTP 403" : "GET /v1/secret/metadata/app/db-password returned HTTP 503";

        public override Task PutAsync(string path, string value)
        {
            _server.Put(Mount, path, JsonSerializer.Serialize(new Dictionary<string, string> { ["password"] = value }));
            return Task.CompletedTask;
        }

        public override Task StartOutageAsync()
        {
            _server.FailNext("/v1/", 503, "Vault is sealed", int.MaxValue);
            return Task.CompletedTask;
        }

        public override Task RejectCredentialsAsync()
        {
            _server.RevokeToken(Token);
            return Task.CompletedTask;
        }

        public override async Task RecoverWithNewVersionAsync(string path, string value)
        {
            await PutAsync(path, value);
            _server.ClearFaults();
            _server.AddToken(Token);
        }

        public override ValueTask DisposeAsync() => _server.DisposeAsync();
    }

    /// <summary>
    /// Secrets Manager with static credentials; an outage stops the server, and a recovery starts a new one on the
    /// same port with the same versions, as the service keeps them.
    /// </summary>
    private sealed class AwsFake : FakeProvider
    {
        private const string AccessKey = "AKIDDSOE2ETEST000001";
        private const string SecretKey = "dsoE2eSecretKey/0123456789+not-for-logs";
        private const string OtherAccessKey = "AKIDDSOE2EOTHER00002";

        private readonly List<(string Path, string Value)> _versions = [];
        private readonly int _port;
        private FakeSecretsManager? _server;

        public AwsFake()
        {
            _server = Start(port: 0, AccessKey);
            _port = _server.Endpoint.Port;
        }

        public override string Name => "aws_main";

        public override string ProvidersYaml =>
            $"  {Name}:\n    type: aws\n    region: {FakeSecretsManager.Region}\n    endpoint: http://127.0.0.1:{_port}/\n";

        public override IReadOnlyList<string> Credentials => [SecretKey];

        /// <summary>
        /// Static credentials and no way to instance metadata: the chain stops at the environment, and the shared
        /// files point at paths that do not exist so the home directory of the user who runs the tests stays out.
        /// </summary>
        public override IReadOnlyDictionary<string, string> Environment(string testRoot) => new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AWS_ACCESS_KEY_ID"] = AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
            ["AWS_SESSION_TOKEN"] = "",
            ["AWS_PROFILE"] = "",
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(testRoot, "no-aws-credentials"),
            ["AWS_CONFIG_FILE"] = Path.Combine(testRoot, "no-aws-config"),
        };

        public override string ExpectedError(bool authenticationFailure) =>
            authenticationFailure ? "HTTP 400 Bad Request UnrecognizedClientException" : $"could not reach http://127.0.0.1:{_port}/: Connection refused";

        public override Task PutAsync(string path, string value)
        {
            _versions.Add((path, value));
            _server?.PutString(path, value);
            return Task.CompletedTask;
        }

        public override async Task StartOutageAsync() => await StopAsync();

        /// <summary>Replaces the server with one that knows another access key only, so the agent's key is unrecognized.</summary>
        public override async Task RejectCredentialsAsync()
        {
            await StopAsync();
            _server = Start(_port, OtherAccessKey);
        }

        public override async Task RecoverWithNewVersionAsync(string path, string value)
        {
            await StopAsync();
            _versions.Add((path, value));
            _server = Start(_port, AccessKey);
        }

        public override async ValueTask DisposeAsync() => await StopAsync();

        /// <summary>Starts a server that accepts <paramref name="accessKey"/> and holds every version put so far, in order, so version ids repeat.</summary>
        private FakeSecretsManager Start(int port, string accessKey)
        {
            var server = new FakeSecretsManager(port);
            server.AddCredentials(accessKey, SecretKey);
            foreach ((string path, string value) in _versions)
            {
                server.PutString(path, value);
            }

            return server;
        }

        private async Task StopAsync()
        {
            if (_server is not null)
            {
                await _server.DisposeAsync();
                _server = null;
            }
        }
    }

    /// <summary>
    /// Secrets Manager with credentials of a role that the agent assumes with AssumeRoleWithWebIdentity at the
    /// fake STS: the agent's environment names the token file and the role, and contains no keys. Only
    /// <see cref="PutAsync"/> is supported, for the rotation test.
    /// </summary>
    private sealed class AwsWebIdentityFake : FakeProvider
    {
        private const string RoleArn = "arn:aws:iam::123456789012:role/dso-e2e-reader";
        private const string Token = "eyJhbGciOiJSUzI1NiJ9.dso-e2e-web-identity-not-for-logs.c2ln";

        private readonly FakeSecretsManager _server = new();
        private readonly FakeSts _sts;

        public AwsWebIdentityFake()
        {
            _sts = new FakeSts(_server);
            _sts.TrustWebIdentity(RoleArn, Token);
        }

        public override string Name => "aws_web";

        public override string ProvidersYaml =>
            $"  {Name}:\n    type: aws\n    region: {FakeSecretsManager.Region}\n    endpoint: {_server.Endpoint}\n    sts_endpoint: {_sts.Endpoint}\n";

        public override IReadOnlyList<string> Credentials =>
            [Token, .. _sts.Issued.SelectMany(issued => new[] { issued.SecretKey, issued.Token })];

        public int AssumeRoleCalls => _sts.CountOf("AssumeRoleWithWebIdentity");

        /// <summary>Web identity only: no keys, shared files that do not exist, and no way to instance metadata.</summary>
        public override IReadOnlyDictionary<string, string> Environment(string testRoot)
        {
            string tokenFile = Path.Combine(testRoot, "web-identity-token");
            File.WriteAllText(tokenFile, Token);
            return new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["AWS_ACCESS_KEY_ID"] = "",
                ["AWS_SECRET_ACCESS_KEY"] = "",
                ["AWS_SESSION_TOKEN"] = "",
                ["AWS_PROFILE"] = "",
                ["AWS_WEB_IDENTITY_TOKEN_FILE"] = tokenFile,
                ["AWS_ROLE_ARN"] = RoleArn,
                ["AWS_ROLE_SESSION_NAME"] = "dso-e2e",
                ["AWS_EC2_METADATA_DISABLED"] = "true",
                ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(testRoot, "no-aws-credentials"),
                ["AWS_CONFIG_FILE"] = Path.Combine(testRoot, "no-aws-config"),
            };
        }

        public override string ExpectedError(bool authenticationFailure) => throw new NotSupportedException();

        public override Task PutAsync(string path, string value)
        {
            _server.PutString(path, value);
            return Task.CompletedTask;
        }

        public override Task StartOutageAsync() => throw new NotSupportedException();

        public override Task RejectCredentialsAsync() => throw new NotSupportedException();

        public override Task RecoverWithNewVersionAsync(string path, string value) => throw new NotSupportedException();

        public override async ValueTask DisposeAsync()
        {
            await _sts.DisposeAsync();
            await _server.DisposeAsync();
        }
    }

    /// <summary>
    /// Azure Key Vault and its Microsoft Entra ID token endpoint, reached by the agent as kv.vault.test through a
    /// tunnel proxy that connects to the fake on 127.0.0.1. The name passes the Key Vault client's default check of
    /// the challenge resource, because kv.vault.test ends with .vault.test. The proxy is the agent's only route
    /// (HTTPS_PROXY with an empty NO_PROXY), and it rejects and records any request to another host. An outage
    /// answers 503 to every Key Vault request; a rejected client secret fails the next token request.
    /// </summary>
    private sealed class AzureFake : FakeProvider
    {
        private const string HostName = "kv.vault.test";
        private const string ClientSecret = "azure-E2E-client-secret-not-for-logs";
        private const string OtherClientSecret = "azure-E2E-other-secret-not-for-logs";

        private readonly string _directory;
        private readonly KeyVaultTestServer _server;
        private readonly LoopbackTunnelProxy _proxy;

        private AzureFake(string directory, KeyVaultTestServer server)
        {
            _directory = directory;
            _server = server;
            _proxy = new LoopbackTunnelProxy(HostName, Port);
        }

        public override string Name => "azure_main";

        public override string ProvidersYaml =>
            $"  {Name}:\n    type: azure\n    vault_url: {VaultUrl}\n" +
            $"    tenant_id: {KeyVaultTestServer.TenantId}\n    client_id: {KeyVaultTestServer.ClientId}\n    client_secret: ${{AZURE_E2E_CLIENT_SECRET}}\n" +
            $"    authority_host: {VaultUrl}\n    disable_instance_discovery: true\n    ca_file: {_server.CaPemPath}\n";

        /// <summary>The client secrets and every access token the fake issued.</summary>
        public override IReadOnlyList<string> Credentials => [ClientSecret, OtherClientSecret, .. _server.IssuedTokens];

        private int Port => new Uri(_server.BaseUrl).Port;

        private string VaultUrl => $"https://{HostName}:{Port}/";

        public static async Task<AzureFake> StartAsync()
        {
            string directory = Directory.CreateTempSubdirectory("dso-e2e-kv-").FullName;
            KeyVaultTestServer server = await KeyVaultTestServer.StartAsync(directory, HostName);
            server.ChallengeResource = "https://vault.test";
            server.AcceptedClientSecret = ClientSecret;

            // Tokens expire quickly so that a rejected client secret shows in the next polls, not after an hour.
            server.TokenLifetime = TimeSpan.FromSeconds(10);
            return new AzureFake(directory, server);
        }

        /// <summary>
        /// The client secret, and the proxy as the only route for HTTP and HTTPS; AZURE_* variables of the test
        /// runner are cleared so that they cannot change the credential.
        /// </summary>
        public override IReadOnlyDictionary<string, string> Environment(string testRoot) => new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AZURE_E2E_CLIENT_SECRET"] = ClientSecret,
            ["HTTPS_PROXY"] = _proxy.Url,
            ["https_proxy"] = _proxy.Url,
            ["HTTP_PROXY"] = _proxy.Url,
            ["http_proxy"] = _proxy.Url,
            ["ALL_PROXY"] = _proxy.Url,
            ["all_proxy"] = _proxy.Url,
            ["NO_PROXY"] = "",
            ["no_proxy"] = "",
            ["AZURE_TENANT_ID"] = "",
            ["AZURE_CLIENT_ID"] = "",
            ["AZURE_CLIENT_SECRET"] = "",
            ["AZURE_AUTHORITY_HOST"] = "",
            ["AZURE_REGIONAL_AUTHORITY_NAME"] = "",
        };

        public override string ExpectedError(bool authenticationFailure) =>
            authenticationFailure ? "Microsoft Entra ID returned HTTP 401 (invalid_client)" : "returned HTTP 503";

        public override Task PutAsync(string path, string value)
        {
            _server.SetSecret(KeyVaultName(path), value);
            return Task.CompletedTask;
        }

        public override Task StartOutageAsync()
        {
            _server.OutageStatus = 503;
            return Task.CompletedTask;
        }

        /// <summary>Rotates the client secret at the token endpoint, as an operator who replaced it in Entra ID without updating the agent.</summary>
        public override Task RejectCredentialsAsync()
        {
            _server.AcceptedClientSecret = OtherClientSecret;
            return Task.CompletedTask;
        }

        public override async Task RecoverWithNewVersionAsync(string path, string value)
        {
            await PutAsync(path, value);
            _server.OutageStatus = null;
            _server.AcceptedClientSecret = ClientSecret;
        }

        public override void AssertNoOtherTraffic()
        {
            Assert.Empty(_proxy.Rejected);
            Assert.NotEmpty(_proxy.Tunnels);
            Assert.Empty(_server.UnknownRequests);
        }

        public override async ValueTask DisposeAsync()
        {
            await _proxy.DisposeAsync();
            await _server.DisposeAsync();
            Directory.Delete(_directory, recursive: true);
        }

        private static string KeyVaultName(string path) =>
            Dso.Agent.Providers.Azure.AzureSecretNames.ToKeyVaultName(path, out _) ?? throw new ArgumentException($"The path {path} has no Key Vault name.", nameof(path));
    }
}
