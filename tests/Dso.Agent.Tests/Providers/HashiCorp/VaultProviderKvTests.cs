using System.Security.Cryptography;
using System.Text;
using Dso.Agent.Configuration;
using Dso.Agent.Providers;
using Dso.Agent.Providers.HashiCorp;
using static Dso.Agent.Tests.Providers.HashiCorp.VaultTestSetup;

namespace Dso.Agent.Tests.Providers.HashiCorp;

/// <summary>Reading KV version 2 and version 1 secrets: version ids, specific versions, deleted versions and errors.</summary>
public sealed class VaultProviderKvTests
{
    [Fact]
    public async Task GetCurrentVersionsAsync_NewVersionWritten_ReturnsNewVersionId()
    {
        await using var server = NewServer(kvVersion: 2);
        server.Put("secret", "db", SecretJson);
        await using VaultProvider provider = Create(TokenConfig(server.Address), TimeProvider.System);
        IReadOnlyDictionary<string, VersionLookup> before = await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None);

        server.Put("secret", "db", """{"username":"app","password":"rotated"}""");
        IReadOnlyDictionary<string, VersionLookup> after = await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None);

        Assert.Equal("1", before["db"].VersionId);
        Assert.Equal("2", after["db"].VersionId);
        Assert.Equal(2, server.Count("GET", "/v1/secret/metadata/db"));
        Assert.Equal(0, server.Count("GET", "/v1/secret/data/"));
    }

    [Fact]
    public async Task GetCurrentVersionsAsync_SeveralPaths_ReportsEachWithItsError()
    {
        await using var server = NewServer(kvVersion: 2);
        server.Put("secret", "db", SecretJson);
        server.Put("secret", "team/api key", """{"key":"k"}""");
        await using VaultProvider provider = Create(TokenConfig(server.Address), TimeProvider.System);

        IReadOnlyDictionary<string, VersionLookup> versions = await provider.GetCurrentVersionsAsync(["db", "team/api key", "missing"], CancellationToken.None);

        Assert.Equal("1", versions["db"].VersionId);
        Assert.Equal("1", versions["team/api key"].VersionId);
        Assert.Equal(1, server.Count("GET", "/v1/secret/metadata/team/api%20key"));
        Assert.Equal(ProviderErrorKind.NotFound, versions["missing"].Error!.Kind);
        Assert.Equal(404, versions["missing"].Error!.StatusCode);
        Assert.Contains($"Provider {ProviderName}: GET /v1/secret/metadata/missing returned HTTP 404", versions["missing"].Error!.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_SpecificVersion_ReturnsThatVersion()
    {
        await using var server = NewServer(kvVersion: 2);
        server.Put("secret", "db", SecretJson);
        server.Put("secret", "db", """{"password":"second"}""");
        await using VaultProvider provider = Create(TokenConfig(server.Address), TimeProvider.System);

        using SecretPayload first = await provider.FetchAsync("db", "1", CancellationToken.None);
        using SecretPayload current = await provider.FetchAsync("db", null, CancellationToken.None);

        Assert.Equal(SecretJson, Text(first));
        Assert.Equal("1", first.VersionId);
        Assert.Equal("""{"password":"second"}""", Text(current));
        Assert.Equal("2", current.VersionId);
        Assert.Equal(1, server.Count("GET", "/v1/secret/data/db?version=1"));
    }

    [Fact]
    public async Task FetchAsync_SoftDeletedVersion_ThrowsDeleted()
    {
        await using var server = NewServer(kvVersion: 2);
        server.Put("secret", "db", SecretJson);
        server.Put("secret", "db", """{"password":"second"}""");
        server.DeleteVersion("secret", "db", 1);
        await using VaultProvider provider = Create(TokenConfig(server.Address), TimeProvider.System);

        var error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db", "1", CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Deleted, error.Kind);
        Assert.Equal(404, error.StatusCode);
        Assert.Contains("GET /v1/secret/data/db?version=1 returned HTTP 404", error.Message, StringComparison.Ordinal);
        Assert.Contains("Version 1 of db was deleted at", error.Message, StringComparison.Ordinal);
        Assert.Contains("vault kv undelete -mount=secret -versions=1 db", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_DestroyedVersion_ThrowsDeleted()
    {
        await using var server = NewServer(kvVersion: 2);
        server.Put("secret", "db", SecretJson);
        server.DestroyVersion("secret", "db", 1);
        await using VaultProvider provider = Create(TokenConfig(server.Address), TimeProvider.System);

        var error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Deleted, error.Kind);
        Assert.Contains("Version 1 of db was destroyed and cannot be recovered", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetCurrentVersionsAsync_CurrentVersionDeleted_ReportsDeleted()
    {
        await using var server = NewServer(kvVersion: 2);
        server.Put("secret", "db", SecretJson);
        server.Put("secret", "db", """{"password":"second"}""");
        server.DeleteVersion("secret", "db", 2);
        await using VaultProvider provider = Create(TokenConfig(server.Address), TimeProvider.System);

        VersionLookup lookup = (await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None))["db"];

        Assert.False(lookup.Succeeded);
        Assert.Equal(ProviderErrorKind.Deleted, lookup.Error!.Kind);
        Assert.Contains("GET /v1/secret/metadata/db returned HTTP 200", lookup.Error.Message, StringComparison.Ordinal);
        Assert.Contains("Version 2 of db was deleted", lookup.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_MissingSecret_ThrowsNotFoundNamingPath()
    {
        await using var server = NewServer(kvVersion: 2);
        await using VaultProvider provider = Create(TokenConfig(server.Address), TimeProvider.System);

        var error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("app/db", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.NotFound, error.Kind);
        Assert.Equal(ProviderName, error.Provider);
        Assert.Equal($"Provider {ProviderName}: GET /v1/secret/data/app/db returned HTTP 404. Vault has no secret app/db under mount secret. Check secrets.<name>.path and mount.", error.Message);
    }

    [Fact]
    public async Task FetchAsync_Kv1MountDetected_ReadsValueWithFingerprint()
    {
        await using var server = NewServer(kvVersion: 1, mount: "legacy");
        server.Put("legacy", "db", SecretJson);
        VaultProviderConfig config = TokenConfig(server.Address) with { Mount = "legacy" };
        await using VaultProvider provider = Create(config, TimeProvider.System);

        using SecretPayload payload = await provider.FetchAsync("db", null, CancellationToken.None);
        IReadOnlyDictionary<string, VersionLookup> versions = await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None);

        string expected = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($$"""{"password":"{{SecretValue}}","username":"app"}""")));
        Assert.Equal(SecretJson, Text(payload));
        Assert.Equal(expected, payload.VersionId);
        Assert.Equal(expected, versions["db"].VersionId);
        Assert.Equal(1, server.Count("GET", "/v1/sys/internal/ui/mounts/legacy"));
        Assert.Equal(2, server.Count("GET", "/v1/legacy/db"));
    }

    [Fact]
    public async Task Kv1Version_WithAgentKey_IsKeyedHash()
    {
        await using var server = NewServer(kvVersion: 1, mount: "legacy");
        server.Put("legacy", "db", SecretJson);
        byte[] key = RandomNumberGenerator.GetBytes(32);
        var context = new ProviderContext(TimeProvider.System, new CapturingLoggerFactory(), _ => null) { FingerprintKey = key };
        await using var provider = new VaultProvider(TokenConfig(server.Address) with { Mount = "legacy", KvVersion = 1 }, context, FastRetries);

        string? version = (await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None))["db"].VersionId;

        byte[] canonical = Encoding.UTF8.GetBytes($$"""{"password":"{{SecretValue}}","username":"app"}""");
        Assert.Equal("hmac-sha256:" + Convert.ToHexStringLower(HMACSHA256.HashData(key, canonical)), version);
        Assert.DoesNotContain(Convert.ToHexStringLower(SHA256.HashData(canonical)), version, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Kv1Fingerprint_SameDataInOtherKeyOrder_IsUnchanged()
    {
        await using var server = NewServer(kvVersion: 1, mount: "legacy");
        server.Put("legacy", "db", """{"b":"2","a":{"y":[1,2],"x":true}}""");
        VaultProviderConfig config = TokenConfig(server.Address) with { Mount = "legacy", KvVersion = 1 };
        await using VaultProvider provider = Create(config, TimeProvider.System);
        string? first = (await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None))["db"].VersionId;

        server.Put("legacy", "db", """{ "a": {"x": true, "y": [1, 2]}, "b": "2" }""");
        string? reordered = (await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None))["db"].VersionId;
        server.Put("legacy", "db", """{"a":{"x":true,"y":[1,2]},"b":"3"}""");
        string? changed = (await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None))["db"].VersionId;

        Assert.StartsWith(KvFingerprint.Prefix, first, StringComparison.Ordinal);
        Assert.Equal(first, reordered);
        Assert.NotEqual(first, changed);
        Assert.Equal(0, server.Count("GET", "/v1/sys/internal/ui/mounts/"));
    }

    [Fact]
    public async Task FetchAsync_Kv1OldFingerprint_ThrowsNotFound()
    {
        await using var server = NewServer(kvVersion: 1, mount: "legacy");
        server.Put("legacy", "db", SecretJson);
        await using VaultProvider provider = Create(TokenConfig(server.Address) with { Mount = "legacy", KvVersion = 1 }, TimeProvider.System);

        var error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db", "sha256:00", CancellationToken.None));

        Assert.Equal(ProviderErrorKind.NotFound, error.Kind);
        Assert.Contains("keeps only the current value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_MountInfoDenied_AssumesKv2AndWarns()
    {
        await using var server = NewServer(kvVersion: 2);
        server.Put("secret", "db", SecretJson);
        server.Deny("/v1/sys/internal/ui/mounts/secret");
        var logs = new CapturingLoggerFactory();
        await using VaultProvider provider = Create(TokenConfig(server.Address), TimeProvider.System, logs);

        using SecretPayload payload = await provider.FetchAsync("db", null, CancellationToken.None);
        using SecretPayload again = await provider.FetchAsync("db", null, CancellationToken.None);

        Assert.Equal(SecretJson, Text(payload));
        Assert.Equal(1, server.Count("GET", "/v1/sys/internal/ui/mounts/secret"));
        Assert.Contains(logs.Entries, entry => entry.Text.Contains("so KV version 2 is assumed", StringComparison.Ordinal) && entry.Text.Contains("HTTP 403", StringComparison.Ordinal));
        Assert.True(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task FetchAsync_Kv2Configured_SkipsMountDetection()
    {
        await using var server = NewServer(kvVersion: 2, mount: "team/kv");
        server.Put("team/kv", "db", SecretJson);
        await using VaultProvider provider = Create(TokenConfig(server.Address) with { Mount = "team/kv", KvVersion = 2 }, TimeProvider.System);

        using SecretPayload payload = await provider.FetchAsync("db", null, CancellationToken.None);

        Assert.Equal(SecretJson, Text(payload));
        Assert.Equal(0, server.Count("GET", "/v1/sys/internal/ui/mounts/"));
        Assert.Equal(1, server.Count("GET", "/v1/team/kv/data/db"));
    }

    [Fact]
    public async Task FetchAsync_InvalidPathOrVersion_ThrowsWithoutRequest()
    {
        await using var server = NewServer(kvVersion: 2);
        await using VaultProvider provider = Create(TokenConfig(server.Address) with { KvVersion = 2 }, TimeProvider.System);

        var dotDot = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("../sys/seal", null, CancellationToken.None));
        var version = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db", "v1", CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Invalid, dotDot.Kind);
        Assert.Equal(ProviderErrorKind.NotFound, version.Kind);
        Assert.DoesNotContain(server.Requests, request => request.PathAndQuery.Contains("/data/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Namespace_IsSentOnEveryRequest()
    {
        await using var server = NewServer(kvVersion: 2);
        server.RequiredNamespace = "team-a/prod";
        server.Put("secret", "db", SecretJson);
        await using VaultProvider provider = Create(TokenConfig(server.Address) with { Namespace = "team-a/prod" }, TimeProvider.System);

        using SecretPayload payload = await provider.FetchAsync("db", null, CancellationToken.None);
        _ = await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None);

        Assert.Equal(SecretJson, Text(payload));
        Assert.Equal(4, server.Requests.Count);
        Assert.All(server.Requests, request => Assert.Equal("team-a/prod", request.Namespace));
    }

    [Fact]
    public async Task ProviderFactory_VaultConfig_CreatesVaultProvider()
    {
        var context = new ProviderContext(TimeProvider.System, new CapturingLoggerFactory(), _ => null);

        await using ISecretProvider provider = ProviderFactory.Create(TokenConfig(new Uri("http://127.0.0.1:1")), context);

        Assert.IsType<VaultProvider>(provider);
        Assert.Equal(ProviderName, provider.Name);
        Assert.True(provider.Health.IsHealthy);
    }

    private static FakeVaultServer NewServer(int kvVersion, string mount = "secret")
    {
        var server = new FakeVaultServer(TimeProvider.System);
        server.AddToken(Token);
        server.AddMount(mount, kvVersion);
        return server;
    }
}
