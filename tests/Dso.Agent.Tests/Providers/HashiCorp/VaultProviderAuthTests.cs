using Dso.Agent.Providers;
using Dso.Agent.Providers.HashiCorp;
using Microsoft.Extensions.Time.Testing;
using static Dso.Agent.Tests.Providers.HashiCorp.VaultTestSetup;

namespace Dso.Agent.Tests.Providers.HashiCorp;

/// <summary>Token and AppRole authentication, renewal and failure handling, on a fake clock shared with the server.</summary>
public sealed class VaultProviderAuthTests
{
    private const string LookupSelf = "/v1/auth/token/lookup-self";
    private const string RenewSelf = "/v1/auth/token/renew-self";
    private const string AppRoleLogin = "/v1/auth/approle/login";

    [Fact]
    public async Task FetchAsync_TokenAuth_SendsTokenOnEveryRequest()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeVaultServer(time);
        server.AddToken(Token, TimeSpan.FromHours(1), renewable: true);
        server.AddMount("secret", 2);
        server.Put("secret", "db", SecretJson);
        await using VaultProvider provider = Create(TokenConfig(server.Address), time);

        using SecretPayload payload = await provider.FetchAsync("db", null, CancellationToken.None);

        Assert.Equal(SecretJson, Text(payload));
        Assert.Equal("1", payload.VersionId);
        Assert.True(payload.IsText);
        Assert.Equal(1, server.Count("GET", LookupSelf));
        Assert.All(server.Requests, request => Assert.Equal(Token, request.Token));
        Assert.True(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task FetchAsync_AppRole_LogsInAtMountAndUsesIssuedToken()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeVaultServer(time);
        server.AddAppRole("ci-approle", RoleId, SecretId, TimeSpan.FromHours(1), renewable: true);
        server.AddMount("secret", 2);
        server.Put("secret", "db", SecretJson);
        await using VaultProvider provider = Create(AppRoleConfig(server.Address, "ci-approle"), time);

        using SecretPayload payload = await provider.FetchAsync("db", null, CancellationToken.None);

        FakeVaultServer.RecordedRequest login = server.Requests[0];
        Assert.Equal(SecretJson, Text(payload));
        Assert.Equal("POST", login.Method);
        Assert.Equal("/v1/auth/ci-approle/login", login.PathAndQuery);
        Assert.Null(login.Token);
        Assert.Contains($"\"role_id\":\"{RoleId}\"", login.Body, StringComparison.Ordinal);
        Assert.Contains($"\"secret_id\":\"{SecretId}\"", login.Body, StringComparison.Ordinal);
        Assert.All(server.Requests.Skip(1), request => Assert.Equal(server.IssuedTokens.Single(), request.Token));
    }

    [Fact]
    public async Task TokenRenewal_AtHalfTtl_RenewsByTimer()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeVaultServer(time);
        server.AddToken(Token, TimeSpan.FromSeconds(60), renewable: true);
        server.AddMount("secret", 2);
        server.Put("secret", "db", SecretJson);
        await using VaultProvider provider = Create(TokenConfig(server.Address), time);
        (await provider.FetchAsync("db", null, CancellationToken.None)).Dispose();

        time.Advance(TimeSpan.FromSeconds(29));
        (await provider.FetchAsync("db", null, CancellationToken.None)).Dispose();
        int renewalsBeforeHalf = server.Count("POST", RenewSelf);
        time.Advance(TimeSpan.FromSeconds(2));
        await server.WaitForRequestAsync(request => request.PathAndQuery == RenewSelf).WaitAsync(WaitLimit);
        await FetchAfterRefreshAsync(provider);

        // The first lease ended at 60 s; the renewed one lasts until 91 s and is renewed again at 61 s.
        time.Advance(TimeSpan.FromSeconds(39));
        await server.WaitForRequestAsync(_ => server.Count("POST", RenewSelf) >= 2).WaitAsync(WaitLimit);
        string afterFirstLease = await FetchAfterRefreshAsync(provider);

        Assert.Equal(0, renewalsBeforeHalf);
        Assert.Equal(2, server.Count("POST", RenewSelf));
        Assert.Equal(SecretJson, afterFirstLease);
        Assert.Equal(1, server.Count("GET", LookupSelf));
        Assert.True(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task TokenRenewal_WithoutTimer_RenewsBeforeNextCall()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeVaultServer(time);
        server.AddToken(Token, TimeSpan.FromSeconds(60), renewable: true);
        server.AddMount("secret", 2);
        server.Put("secret", "db", SecretJson);
        await using VaultProvider provider = Create(TokenConfig(server.Address), time);
        (await provider.FetchAsync("db", null, CancellationToken.None)).Dispose();

        // SetUtcNow jumps past the due time; the timer fires too, and whichever comes first renews once.
        time.SetUtcNow(time.GetUtcNow() + TimeSpan.FromSeconds(45));
        using SecretPayload payload = await provider.FetchAsync("db", null, CancellationToken.None);

        Assert.Equal(SecretJson, Text(payload));
        Assert.Equal(1, server.Count("POST", RenewSelf));
    }

    [Fact]
    public async Task TokenNotRenewable_WarnsThenReportsExpiry()
    {
        var time = new FakeTimeProvider();
        var logs = new CapturingLoggerFactory();
        await using var server = new FakeVaultServer(time);
        server.AddToken(Token, TimeSpan.FromSeconds(60), renewable: false);
        server.AddMount("secret", 2);
        server.Put("secret", "db", SecretJson);
        await using VaultProvider provider = Create(TokenConfig(server.Address), time, logs);
        (await provider.FetchAsync("db", null, CancellationToken.None)).Dispose();

        time.Advance(TimeSpan.FromSeconds(31));
        string beforeExpiry = await FetchAfterRefreshAsync(provider);
        int requestsBeforeExpiry = server.Requests.Count;
        time.Advance(TimeSpan.FromSeconds(30));
        await server.WaitForRequestAsync(_ => server.Count("GET", LookupSelf) >= 2).WaitAsync(WaitLimit);
        var expired = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db", null, CancellationToken.None));

        Assert.Equal(SecretJson, beforeExpiry);
        Assert.Equal(0, server.Count("POST", RenewSelf));
        Assert.Equal(4, requestsBeforeExpiry);
        Assert.Contains(logs.Entries, entry => entry.Text.Contains("cannot be renewed further", StringComparison.Ordinal));
        Assert.Equal(ProviderErrorKind.Unauthenticated, expired.Kind);
        Assert.False(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task AppRole_TokenNotRenewable_LogsInAgainBeforeExpiry()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeVaultServer(time);
        server.AddAppRole("approle", RoleId, SecretId, TimeSpan.FromSeconds(60), renewable: false);
        server.AddMount("secret", 2);
        server.Put("secret", "db", SecretJson);
        await using VaultProvider provider = Create(AppRoleConfig(server.Address), time);
        (await provider.FetchAsync("db", null, CancellationToken.None)).Dispose();

        time.Advance(TimeSpan.FromSeconds(31));
        await server.WaitForRequestAsync(_ => server.Count("POST", AppRoleLogin) >= 2).WaitAsync(WaitLimit);
        await FetchAfterRefreshAsync(provider);
        time.Advance(TimeSpan.FromSeconds(28));
        string value = await FetchAfterRefreshAsync(provider);

        Assert.Equal(SecretJson, value);
        Assert.Equal(2, server.Count("POST", AppRoleLogin));
        Assert.Equal(0, server.Count("POST", RenewSelf));
        Assert.Equal(server.IssuedTokens[1], server.Requests[^1].Token);
    }

    [Fact]
    public async Task AppRole_RenewalRejected_LogsInAgain()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeVaultServer(time);
        server.AddAppRole("approle", RoleId, SecretId, TimeSpan.FromSeconds(60), renewable: true);
        server.AddMount("secret", 2);
        server.Put("secret", "db", SecretJson);
        await using VaultProvider provider = Create(AppRoleConfig(server.Address), time);
        (await provider.FetchAsync("db", null, CancellationToken.None)).Dispose();
        server.RevokeToken(server.IssuedTokens[0]);

        time.Advance(TimeSpan.FromSeconds(31));
        await server.WaitForRequestAsync(_ => server.Count("POST", AppRoleLogin) >= 2).WaitAsync(WaitLimit);
        string value = await FetchAfterRefreshAsync(provider);

        Assert.Equal(1, server.Count("POST", RenewSelf));
        Assert.Equal(2, server.Count("POST", AppRoleLogin));
        Assert.Equal(SecretJson, value);
        Assert.Equal(server.IssuedTokens[1], server.Requests[^1].Token);
        Assert.True(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task AppRole_RenewalNearMaxTtl_LogsInAgain()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeVaultServer(time);
        server.AddAppRole("approle", RoleId, SecretId, TimeSpan.FromSeconds(60), renewable: true, maxTtl: TimeSpan.FromSeconds(80));
        server.AddMount("secret", 2);
        server.Put("secret", "db", SecretJson);
        await using VaultProvider provider = Create(AppRoleConfig(server.Address), time);
        (await provider.FetchAsync("db", null, CancellationToken.None)).Dispose();

        // At about 31 s the renewal is capped by the 80 s max TTL to about 49 s, more than half the login lease.
        time.Advance(TimeSpan.FromSeconds(31));
        await server.WaitForRequestAsync(request => request.PathAndQuery == RenewSelf).WaitAsync(WaitLimit);
        await FetchAfterRefreshAsync(provider);

        // At about 55 s the next renewal grants about 24 s, less than half of 60 s, so dso logs in again.
        time.Advance(TimeSpan.FromSeconds(25));
        await server.WaitForRequestAsync(_ => server.Count("POST", AppRoleLogin) >= 2).WaitAsync(WaitLimit);
        string value = await FetchAfterRefreshAsync(provider);

        Assert.Equal(2, server.Count("POST", RenewSelf));
        Assert.Equal(SecretJson, value);
        Assert.Equal(server.IssuedTokens[1], server.Requests[^1].Token);
    }

    [Fact]
    public async Task BadToken_MakesHealthUnhealthyWithoutRequestLoop()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeVaultServer(time);
        server.AddMount("secret", 2);
        server.Put("secret", "db", SecretJson);
        await using VaultProvider provider = Create(TokenConfig(server.Address), time);

        IReadOnlyDictionary<string, VersionLookup> first = await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None);
        int requestsAfterFailure = server.Requests.Count;
        var repeated = new List<ProviderException>();
        for (int call = 0; call < 5; call++)
        {
            repeated.Add((await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None))["db"].Error!);
            repeated.Add(await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db", null, CancellationToken.None)));
        }

        ProviderHealth health = provider.Health;
        ProviderException error = first["db"].Error!;
        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Equal(403, error.StatusCode);
        Assert.Contains($"Provider {ProviderName}: GET {LookupSelf} returned HTTP 403 (permission denied)", error.Message, StringComparison.Ordinal);
        Assert.Contains("auth.token", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, requestsAfterFailure);
        Assert.Single(server.Requests);
        Assert.All(repeated, failure => Assert.Equal(ProviderErrorKind.Unauthenticated, failure.Kind));
        Assert.False(health.IsHealthy);
        Assert.Contains("auth.token", health.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, health.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadToken_AfterRetryDelayAndFix_IsHealthyAgain()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeVaultServer(time);
        server.AddMount("secret", 2);
        server.Put("secret", "db", SecretJson);
        await using VaultProvider provider = Create(TokenConfig(server.Address), time);
        _ = await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None);
        bool unhealthy = !provider.Health.IsHealthy;

        server.AddToken(Token);
        time.Advance(VaultAuthenticator.FirstRetryDelay + TimeSpan.FromSeconds(1));
        IReadOnlyDictionary<string, VersionLookup> versions = await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None);

        Assert.True(unhealthy);
        Assert.Equal("1", versions["db"].VersionId);
        Assert.True(provider.Health.IsHealthy);
        Assert.Null(provider.Health.Reason);
    }

    [Fact]
    public async Task RevokedToken_TurnsIntoUnauthenticatedWithoutRequestLoop()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeVaultServer(time);
        server.AddToken(Token);
        server.AddMount("secret", 2);
        server.Put("secret", "db", SecretJson);
        await using VaultProvider provider = Create(TokenConfig(server.Address), time);
        _ = await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None);
        server.RevokeToken(Token);
        int before = server.Requests.Count;

        VersionLookup revoked = (await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None))["db"];
        int afterDetection = server.Requests.Count;
        for (int call = 0; call < 5; call++)
        {
            _ = await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None);
        }

        Assert.Equal(ProviderErrorKind.Unauthenticated, revoked.Error!.Kind);
        Assert.Equal(before + 2, afterDetection);
        Assert.Equal("/v1/secret/metadata/db", server.Requests[before].PathAndQuery);
        Assert.Equal(LookupSelf, server.Requests[before + 1].PathAndQuery);
        Assert.Equal(afterDetection, server.Requests.Count);
        Assert.False(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task AppRole_BadSecretId_IsUnauthenticatedNamingTheKeys()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeVaultServer(time);
        server.AddAppRole("approle", RoleId, "another-secret-id", TimeSpan.FromHours(1), renewable: true);
        await using VaultProvider provider = Create(AppRoleConfig(server.Address), time);

        var error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Equal(400, error.StatusCode);
        Assert.Contains($"POST {AppRoleLogin} returned HTTP 400 (invalid role or secret ID)", error.Message, StringComparison.Ordinal);
        Assert.Contains("auth.secret_id", error.Message, StringComparison.Ordinal);
        Assert.False(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task ValidTokenWithoutPolicy_IsAccessDeniedAndHealthy()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeVaultServer(time);
        server.AddToken(Token);
        server.AddMount("secret", 2);
        server.Put("secret", "db", SecretJson);
        server.Put("secret", "api", SecretJson);
        server.Deny("/v1/secret/metadata/db");
        server.Deny("/v1/secret/metadata/api");
        await using VaultProvider provider = Create(TokenConfig(server.Address), time);

        IReadOnlyDictionary<string, VersionLookup> versions = await provider.GetCurrentVersionsAsync(["db", "api"], CancellationToken.None);

        VersionLookup lookup = versions["db"];
        Assert.Equal(ProviderErrorKind.AccessDenied, lookup.Error!.Kind);
        Assert.Equal(ProviderErrorKind.AccessDenied, versions["api"].Error!.Kind);
        Assert.Equal(2, server.Count("GET", LookupSelf));
        Assert.Equal(403, lookup.Error.StatusCode);
        Assert.Contains("GET /v1/secret/metadata/db returned HTTP 403 (permission denied)", lookup.Error.Message, StringComparison.Ordinal);
        Assert.True(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task CheckConnectionAsync_ValidToken_LooksUpToken()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeVaultServer(time);
        server.AddToken(Token, TimeSpan.FromHours(1), renewable: true);
        await using VaultProvider provider = Create(TokenConfig(server.Address), time);

        await provider.CheckConnectionAsync(CancellationToken.None);

        Assert.Equal(2, server.Count("GET", LookupSelf));
        Assert.Equal(server.Requests.Count, server.Count("GET", LookupSelf));
    }

    [Fact]
    public async Task CheckConnectionAsync_BadToken_ThrowsUnauthenticated()
    {
        var time = new FakeTimeProvider();
        await using var server = new FakeVaultServer(time);
        await using VaultProvider provider = Create(TokenConfig(server.Address), time);

        var error = await Assert.ThrowsAsync<ProviderException>(() => provider.CheckConnectionAsync(CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Equal(ProviderName, error.Provider);
    }

    /// <summary>
    /// Reads the secret once. When a background refresh is running, the call waits for it, so afterwards
    /// the refreshed token is in place and the next timer is set.
    /// </summary>
    private static async Task<string> FetchAfterRefreshAsync(VaultProvider provider)
    {
        using SecretPayload payload = await provider.FetchAsync("db", null, CancellationToken.None);
        return Text(payload);
    }
}
