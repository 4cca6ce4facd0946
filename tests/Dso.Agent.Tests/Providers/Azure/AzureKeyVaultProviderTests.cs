using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Dso.Agent.Configuration;
using Dso.Agent.Providers;
using Dso.Agent.Providers.Azure;

namespace Dso.Agent.Tests.Providers.Azure;

/// <summary>
/// The Azure Key Vault provider against <see cref="KeyVaultTestServer"/>: the real SDK, credential and
/// challenge flow over HTTPS on 127.0.0.1, with the server's self-signed certificate trusted through ca_file.
/// </summary>
public sealed class AzureKeyVaultProviderTests : IAsyncLifetime
{
    private const string Path = "shop/db";
    private const string KeyVaultName = "shop--2fdb";
    private const string Value = "pa55-Value\nwith a newline\n";

    private readonly string _directory = Directory.CreateTempSubdirectory("dso-azure-").FullName;
    private readonly ConcurrentQueue<string> _logs = new();
    private readonly List<string> _messages = [];
    private KeyVaultTestServer _server = null!;

    public async Task InitializeAsync() => _server = await KeyVaultTestServer.StartAsync(_directory);

    public async Task DisposeAsync()
    {
        string[] unknown = _server.UnknownRequests.ToArray();
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);

        Assert.Empty(unknown);
        Assert.Empty(LoopbackOnlyHandler.Blocked);
    }

    [Fact]
    public async Task FetchAsync_CurrentVersion_ReturnsValue()
    {
        string version = _server.SetSecret(KeyVaultName, Value);
        await using AzureKeyVaultProvider provider = CreateProvider();

        using SecretPayload payload = await provider.FetchAsync(Path, versionId: null, CancellationToken.None);

        Assert.Equal(version, payload.VersionId);
        Assert.Equal(Value, Encoding.UTF8.GetString(payload.Value));
        Assert.True(payload.IsText);
        Assert.Equal(1, _server.TokenRequests);
    }

    [Fact]
    public async Task FetchAsync_DiscoveryOff_NoDiscoveryRequest()
    {
        _server.SetSecret(KeyVaultName, Value);
        int blockedBefore = LoopbackOnlyHandler.Blocked.Count;
        await using AzureKeyVaultProvider provider = CreateProvider(discoveryOffInConfig: true);

        using SecretPayload payload = await provider.FetchAsync(Path, versionId: null, CancellationToken.None);

        Assert.Equal(Value, Encoding.UTF8.GetString(payload.Value));
        Assert.Equal(blockedBefore, LoopbackOnlyHandler.Blocked.Count);
        Assert.Empty(_server.UnknownRequests);
    }

    [Fact]
    public async Task FetchAsync_UntrustedCertificate_NamesCaFile()
    {
        await using AzureKeyVaultProvider provider = CreateProvider(trustServer: false, resilience: TestResilience with { MaxRetries = 0 });

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db-password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unavailable, error.Kind);
        Assert.Contains("SecureConnectionError: The SSL connection could not be established: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("Check that ca_file names the CA that signed the server's certificate", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("see inner exception", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_GivenVersion_ReturnsThatValue()
    {
        string first = _server.SetSecret(KeyVaultName, "first");
        _server.SetSecret(KeyVaultName, "second");
        await using AzureKeyVaultProvider provider = CreateProvider();

        using SecretPayload payload = await provider.FetchAsync(Path, first, CancellationToken.None);

        Assert.Equal(first, payload.VersionId);
        Assert.Equal("first", Encoding.UTF8.GetString(payload.Value));
    }

    [Fact]
    public async Task GetCurrentVersions_NewVersion_ReadsNoValue()
    {
        for (int i = 0; i < 4; i++)
        {
            _server.SetSecret(KeyVaultName, $"old {i}");
        }

        string before = _server.SetSecret(KeyVaultName, "v5");
        await using AzureKeyVaultProvider provider = CreateProvider();

        IReadOnlyDictionary<string, VersionLookup> first = await provider.GetCurrentVersionsAsync([Path], CancellationToken.None);
        string after = _server.SetSecret(KeyVaultName, "v6");
        IReadOnlyDictionary<string, VersionLookup> second = await provider.GetCurrentVersionsAsync([Path], CancellationToken.None);

        Assert.Equal(before, first[Path].VersionId);
        Assert.Equal(after, second[Path].VersionId);
        Assert.Equal(0, _server.ValueReads);
        Assert.True(_server.VersionListReads >= 6, $"5 and 6 versions at 2 a page take 3 and 4 pages; the server saw {_server.VersionListReads} page requests.");
    }

    [Fact]
    public async Task GetCurrentVersions_Disabled_FailsAsDeleted()
    {
        _server.SetSecret(KeyVaultName, "old");
        _server.SetSecret(KeyVaultName, "new", enabled: false);
        await using AzureKeyVaultProvider provider = CreateProvider();

        VersionLookup lookup = (await provider.GetCurrentVersionsAsync([Path], CancellationToken.None))[Path];

        Assert.False(lookup.Succeeded);
        Assert.Equal(ProviderErrorKind.Deleted, lookup.Error!.Kind);
        Assert.Contains("disabled", lookup.Error.Message, StringComparison.Ordinal);
        Assert.Contains(Path, lookup.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_DisabledSecret_ThrowsDeleted()
    {
        _server.SetSecret(KeyVaultName, Value, enabled: false);
        await using AzureKeyVaultProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync(Path, null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Deleted, error.Kind);
        Assert.Equal(403, error.StatusCode);
        Assert.Contains("SecretDisabled", error.Message, StringComparison.Ordinal);
        Assert.True(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task FetchAsync_DeletedSecret_ThrowsNotFound()
    {
        _server.SetSecret(KeyVaultName, Value);
        _server.DeleteSecret(KeyVaultName);
        await using AzureKeyVaultProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync(Path, null, CancellationToken.None));
        VersionLookup lookup = (await provider.GetCurrentVersionsAsync([Path], CancellationToken.None))[Path];

        Assert.Equal(ProviderErrorKind.NotFound, error.Kind);
        Assert.Equal(404, error.StatusCode);
        Assert.Contains("Provider kv:", error.Message, StringComparison.Ordinal);
        Assert.Contains($"{_server.BaseUrl}/secrets/{KeyVaultName}", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path, error.Message, StringComparison.Ordinal);
        Assert.Contains("HTTP 404", error.Message, StringComparison.Ordinal);
        Assert.Contains("SecretNotFound", error.Message, StringComparison.Ordinal);
        Assert.Equal(ProviderErrorKind.NotFound, lookup.Error!.Kind);
    }

    [Fact]
    public async Task FetchAsync_Throttled_RetriedUntilSuccess()
    {
        _server.SetSecret(KeyVaultName, Value);
        await using AzureKeyVaultProvider provider = CreateProvider();
        await provider.CheckConnectionAsync(CancellationToken.None);
        _server.FailNext(429, 2);

        using SecretPayload payload = await provider.FetchAsync(Path, null, CancellationToken.None);

        Assert.Equal(Value, Encoding.UTF8.GetString(payload.Value));
        Assert.Equal(2, _logs.Count(line => line.Contains("retry", StringComparison.Ordinal) && line.Contains("HTTP 429", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task FetchAsync_Persistent503_ThrowsUnavailable()
    {
        _server.SetSecret(KeyVaultName, Value);
        await using AzureKeyVaultProvider provider = CreateProvider();
        await provider.CheckConnectionAsync(CancellationToken.None);
        _server.FailNext(503, 4);

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync(Path, null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unavailable, error.Kind);
        Assert.Equal(503, error.StatusCode);
        Assert.Equal(0, _server.ValueReads);
    }

    [Fact]
    public async Task FetchAsync_SlowServer_TimesOut()
    {
        _server.SetSecret(KeyVaultName, Value);
        var resilience = TestResilience with { AttemptTimeout = TimeSpan.FromSeconds(2), MaxRetries = 1 };
        await using AzureKeyVaultProvider provider = CreateProvider(resilience: resilience);
        await provider.CheckConnectionAsync(CancellationToken.None);
        _server.Delay = TimeSpan.FromSeconds(30);

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync(Path, null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unavailable, error.Kind);
        Assert.Contains("timed out after 2 s on the last of 2 attempts", error.Message, StringComparison.Ordinal);
        Assert.Contains(KeyVaultName, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_Forbidden_ThrowsAccessDeniedWithoutRetry()
    {
        _server.SetSecret(KeyVaultName, Value);
        await using AzureKeyVaultProvider provider = CreateProvider();
        await provider.CheckConnectionAsync(CancellationToken.None);
        _server.FailNext(403, 1);

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync(Path, null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.AccessDenied, error.Kind);
        Assert.Equal(403, error.StatusCode);
        Assert.Contains("Key Vault Secrets User", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_logs, line => line.Contains("retry", StringComparison.Ordinal));
        Assert.True(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task FetchAsync_ConnectionRefused_ThrowsUnavailable()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int closedPort = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        await using AzureKeyVaultProvider provider = CreateProvider(vaultUrl: $"https://127.0.0.1:{closedPort}/");

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync(Path, null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unavailable, error.Kind);
        Assert.Contains($"GET https://127.0.0.1:{closedPort}/secrets/{KeyVaultName}", error.Message, StringComparison.Ordinal);
        Assert.Contains("ConnectionError", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WrongClientSecret_Unauthenticated_HealthRecoversAfterFix()
    {
        _server.SetSecret(KeyVaultName, Value);
        _server.AcceptedClientSecret = "client-secret-Zq8!rotated";
        await using AzureKeyVaultProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync(Path, null, CancellationToken.None));
        ProviderHealth unhealthy = provider.Health;
        _server.AcceptedClientSecret = ClientSecret;
        using SecretPayload payload = await provider.FetchAsync(Path, null, CancellationToken.None);

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Equal(401, error.StatusCode);
        Assert.Contains("invalid_client", error.Message, StringComparison.Ordinal);
        Assert.False(unhealthy.IsHealthy);
        Assert.Equal(error.Message, unhealthy.Reason);
        Assert.True(provider.Health.IsHealthy);
        Assert.Equal(1, _server.ValueReads);
    }

    [Fact]
    public async Task CheckConnection_WrongClientSecret_ThrowsUnauthenticated()
    {
        await using AzureKeyVaultProvider provider = CreateProvider(clientSecret: "client-secret-Zq8!wrong");

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.CheckConnectionAsync(CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Contains($"GET {_server.BaseUrl}/secrets", error.Message, StringComparison.Ordinal);
        Assert.False(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task CheckConnection_ValidCredentials_ListsOnePage()
    {
        _server.SetSecret("a", "1");
        _server.SetSecret("b", "2");
        _server.SetSecret("c", "3");
        await using AzureKeyVaultProvider provider = CreateProvider();

        await provider.CheckConnectionAsync(CancellationToken.None);

        Assert.True(provider.Health.IsHealthy);
        Assert.Equal(1, _server.TokenRequests);
        Assert.Equal(0, _server.ValueReads);
    }

    [Fact]
    public async Task GetCurrentVersions_CaseCollision_FailsEarly()
    {
        await using AzureKeyVaultProvider provider = CreateProvider();

        IReadOnlyDictionary<string, VersionLookup> result = await provider.GetCurrentVersionsAsync(["shop/db", "shop/DB"], CancellationToken.None);

        Assert.Equal(ProviderErrorKind.Invalid, result["shop/db"].Error!.Kind);
        Assert.Equal(ProviderErrorKind.Invalid, result["shop/DB"].Error!.Kind);
        Assert.Contains("shop/db and shop/DB", result["shop/DB"].Error!.Message, StringComparison.Ordinal);
        Assert.Equal(0, _server.TokenRequests);
    }

    [Fact]
    public async Task MessagesAndLogs_HoldNoSecrets()
    {
        _server.SetSecret(KeyVaultName, Value);
        _server.SetSecret("other", "0ther-Value", enabled: false);
        await using (AzureKeyVaultProvider provider = CreateProvider())
        {
            using SecretPayload payload = await provider.FetchAsync(Path, null, CancellationToken.None);
            await Collect(() => provider.FetchAsync("other", null, CancellationToken.None));
            await Collect(() => provider.FetchAsync("missing", null, CancellationToken.None));
            _server.FailNext(429, 4);
            await Collect(() => provider.FetchAsync(Path, null, CancellationToken.None));
            foreach (VersionLookup lookup in (await provider.GetCurrentVersionsAsync([Path, "other", "missing"], CancellationToken.None)).Values)
            {
                _messages.Add(lookup.Error?.ToString() ?? "");
            }

            _messages.Add(provider.Health.ToString());
        }

        await using (AzureKeyVaultProvider wrong = CreateProvider(clientSecret: "client-secret-Zq8!wrong"))
        {
            await Collect(() => wrong.FetchAsync(Path, null, CancellationToken.None));
            _messages.Add(wrong.Health.ToString());
        }

        string everything = string.Join('\n', _messages.Concat(_logs));
        Assert.NotEmpty(_server.IssuedTokens);
        Assert.DoesNotContain(ClientSecret, everything, StringComparison.Ordinal);
        Assert.DoesNotContain("client-secret-Zq8!wrong", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("pa55-Value", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("0ther-Value", everything, StringComparison.Ordinal);
        foreach (string token in _server.IssuedTokens)
        {
            Assert.DoesNotContain(token, everything, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task ProviderFactory_AzureConfig_CreatesKeyVaultProvider()
    {
        var config = new AzureProviderConfig { Name = "kv", VaultUrl = new Uri("https://example-vault.vault.azure.net/"), ManagedIdentity = true };

        await using ISecretProvider provider = ProviderFactory.Create(config, Context());

        Assert.IsType<AzureKeyVaultProvider>(provider);
        Assert.Equal("kv", provider.Name);
        Assert.True(provider.Health.IsHealthy);
    }

    private const string ClientSecret = "client-secret-Zq8!correct";

    private static ProviderResilienceOptions TestResilience { get; } = new()
    {
        AttemptTimeout = TimeSpan.FromSeconds(10),
        RetryBaseDelay = TimeSpan.FromMilliseconds(10),
        MaxRetries = 3,
        CircuitMinimumThroughput = 1000,
    };

    private async Task Collect(Func<Task> call)
    {
        ProviderException error = await Assert.ThrowsAsync<ProviderException>(call);
        _messages.Add(error.ToString());
    }

    private ProviderContext Context() => new(TimeProvider.System, new CapturingLoggerFactory(_logs), _ => null);

    /// <param name="discoveryOffInConfig">Turns instance discovery off with dso.yaml's key instead of <see cref="AzureClientSettings"/>.</param>
    /// <param name="trustServer">Passes the server's certificate as ca_file; without it the TLS handshake fails.</param>
    private AzureKeyVaultProvider CreateProvider(string clientSecret = ClientSecret, ProviderResilienceOptions? resilience = null, string? vaultUrl = null, bool discoveryOffInConfig = false, bool trustServer = true)
    {
        var config = new AzureProviderConfig
        {
            Name = "kv",
            VaultUrl = new Uri(vaultUrl ?? _server.BaseUrl + "/"),
            TenantId = KeyVaultTestServer.TenantId,
            ClientId = KeyVaultTestServer.ClientId,
            ClientSecret = clientSecret,
            AuthorityHost = new Uri(_server.BaseUrl + "/"),
            CaFile = trustServer ? _server.CaPemPath : null,
            DisableInstanceDiscovery = discoveryOffInConfig,
        };
        var settings = new AzureClientSettings
        {
            Resilience = resilience ?? TestResilience,
            DisableInstanceDiscovery = !discoveryOffInConfig,
            DisableChallengeResourceVerification = true,
            WrapHandler = handler => new LoopbackOnlyHandler(handler),
        };
        return new AzureKeyVaultProvider(config, Context(), settings);
    }
}
