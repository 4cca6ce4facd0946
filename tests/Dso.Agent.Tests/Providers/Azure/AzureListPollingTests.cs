using System.Collections.Concurrent;
using Dso.Agent.Configuration;
using Dso.Agent.Providers;
using Dso.Agent.Providers.Azure;
using Microsoft.Extensions.Time.Testing;

namespace Dso.Agent.Tests.Providers.Azure;

/// <summary>
/// Polling with the secret list as a change hint, against <see cref="KeyVaultTestServer"/>: what a poll costs in
/// requests, which secrets it looks up, and that neither a hidden change nor a failed list is reported wrongly.
/// </summary>
public sealed class AzureListPollingTests : IAsyncLifetime
{
    private const string ClientSecret = "client-secret-Zq8!correct";
    private static readonly string[] Paths = ["app/a", "app/b", "app/c", "app/d", "app/e"];

    private readonly string _directory = Directory.CreateTempSubdirectory("dso-azure-list-").FullName;
    private readonly ConcurrentQueue<string> _logs = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 1, 0, 0, TimeSpan.Zero));
    private KeyVaultTestServer _server = null!;

    public async Task InitializeAsync()
    {
        _server = await KeyVaultTestServer.StartAsync(_directory);
        foreach (string path in Paths)
        {
            _server.SetSecret(NameOf(path), "value of " + path);
        }
    }

    public async Task DisposeAsync()
    {
        string[] unknown = _server.UnknownRequests.ToArray();
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);

        Assert.Empty(unknown);
    }

    [Fact]
    public async Task SteadyState_CostsOnlyListPages()
    {
        await using AzureKeyVaultProvider provider = CreateProvider();
        IReadOnlyDictionary<string, VersionLookup> first = await PollAsync(provider);
        int requestsBefore = _server.Requests;
        int versionReadsBefore = _server.VersionListReads;

        IReadOnlyDictionary<string, VersionLookup> second = await PollAsync(provider);

        // 5 secrets at 2 a page take 3 list pages.
        Assert.Equal(3, _server.Requests - requestsBefore);
        Assert.Equal(versionReadsBefore, _server.VersionListReads);
        foreach (string path in Paths)
        {
            Assert.True(second[path].Succeeded, second[path].Error?.Message);
            Assert.Equal(first[path].VersionId, second[path].VersionId);
        }

        Assert.Equal(0, _server.ValueReads);
    }

    [Fact]
    public async Task NewVersion_LooksUpOnlyThatSecret()
    {
        await using AzureKeyVaultProvider provider = CreateProvider();
        IReadOnlyDictionary<string, VersionLookup> first = await PollAsync(provider);
        string newVersion = _server.SetSecret(NameOf("app/c"), "new value");
        int versionReadsBefore = _server.VersionListReads;

        IReadOnlyDictionary<string, VersionLookup> second = await PollAsync(provider);

        Assert.Equal(newVersion, second["app/c"].VersionId);
        Assert.Equal(versionReadsBefore + 1, _server.VersionListReads);
        foreach (string path in Paths.Where(path => path != "app/c"))
        {
            Assert.Equal(first[path].VersionId, second[path].VersionId);
        }
    }

    [Fact]
    public async Task ChangeHiddenFromList_FoundByBackstop()
    {
        await using AzureKeyVaultProvider provider = CreateProvider();
        IReadOnlyDictionary<string, VersionLookup> first = await PollAsync(provider);
        string hidden = _server.SetSecret(NameOf("app/b"), "new value", listed: false);

        IReadOnlyDictionary<string, VersionLookup> beforeBackstop = await PollAsync(provider);
        _time.Advance(FullCheckInterval);
        int versionReadsBefore = _server.VersionListReads;
        IReadOnlyDictionary<string, VersionLookup> afterBackstop = await PollAsync(provider);

        Assert.Equal(first["app/b"].VersionId, beforeBackstop["app/b"].VersionId);
        Assert.Equal(hidden, afterBackstop["app/b"].VersionId);
        Assert.Equal(versionReadsBefore + Paths.Length, _server.VersionListReads);
    }

    [Fact]
    public async Task Backstop_FirstRound_SpreadOverInterval()
    {
        string[] many = Enumerable.Range(0, 40).Select(i => $"spread/{i}").ToArray();
        foreach (string path in many)
        {
            _server.SetSecret(NameOf(path), "v");
        }

        _server.PageSize = 25;
        await using AzureKeyVaultProvider provider = CreateProvider();
        await provider.GetCurrentVersionsAsync(many, CancellationToken.None);
        _time.Advance(FullCheckInterval / 2);
        int versionReadsBefore = _server.VersionListReads;

        await provider.GetCurrentVersionsAsync(many, CancellationToken.None);

        // The first backstop time of each secret is random within the interval, so about half are due by now.
        int lookups = _server.VersionListReads - versionReadsBefore;
        Assert.InRange(lookups, 5, 35);
    }

    [Fact]
    public async Task ListUnavailable_NoLookupsNoChange()
    {
        await using AzureKeyVaultProvider provider = CreateProvider();
        await PollAsync(provider);
        int versionReadsBefore = _server.VersionListReads;

        // The first 4 requests are the list's attempts (3 retries), so the list fails.
        _server.FailNext(503, 4);
        IReadOnlyDictionary<string, VersionLookup> second = await PollAsync(provider);

        // A vault that does not respond to its list gets no lookup per secret on top.
        Assert.Equal(versionReadsBefore, _server.VersionListReads);
        foreach (string path in Paths)
        {
            Assert.False(second[path].Succeeded);
            Assert.Equal(ProviderErrorKind.Unavailable, second[path].Error!.Kind);
        }

        Assert.Single(_logs, line => line.Contains("reading the secret list failed", StringComparison.Ordinal) && line.Contains("HTTP 503", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ListForbidden_LooksUpEachSecret()
    {
        await using AzureKeyVaultProvider provider = CreateProvider();
        IReadOnlyDictionary<string, VersionLookup> first = await PollAsync(provider);
        int versionReadsBefore = _server.VersionListReads;

        // An identity without the list permission: the list is refused, each secret is looked up instead.
        _server.FailNext(403, 1);
        IReadOnlyDictionary<string, VersionLookup> second = await PollAsync(provider);

        Assert.Equal(versionReadsBefore + Paths.Length, _server.VersionListReads);
        foreach (string path in Paths)
        {
            Assert.Equal(first[path].VersionId, second[path].VersionId);
        }
    }

    [Fact]
    public async Task Outage_EveryLookupFails_NoneChanges()
    {
        await using AzureKeyVaultProvider provider = CreateProvider();
        await PollAsync(provider);
        _server.SetSecret(NameOf("app/a"), "new value");
        _server.OutageStatus = 503;

        IReadOnlyDictionary<string, VersionLookup> during = await PollAsync(provider);

        foreach (string path in Paths)
        {
            Assert.False(during[path].Succeeded);
            Assert.Equal(ProviderErrorKind.Unavailable, during[path].Error!.Kind);
        }
    }

    [Fact]
    public async Task DeletedAfterConfirmed_FailsAsNotFound()
    {
        await using AzureKeyVaultProvider provider = CreateProvider();
        await PollAsync(provider);
        _server.DeleteSecret(NameOf("app/d"));

        IReadOnlyDictionary<string, VersionLookup> second = await PollAsync(provider);

        Assert.Equal(ProviderErrorKind.NotFound, second["app/d"].Error!.Kind);
        Assert.Contains("app/d", second["app/d"].Error!.Message, StringComparison.Ordinal);
        Assert.True(second["app/a"].Succeeded);
    }

    [Fact]
    public async Task DisabledAfterConfirmed_FailsAsDeleted()
    {
        await using AzureKeyVaultProvider provider = CreateProvider();
        await PollAsync(provider);
        _server.SetSecret(NameOf("app/e"), "disabled value", enabled: false);

        IReadOnlyDictionary<string, VersionLookup> second = await PollAsync(provider);
        IReadOnlyDictionary<string, VersionLookup> third = await PollAsync(provider);

        Assert.Equal(ProviderErrorKind.Deleted, second["app/e"].Error!.Kind);
        Assert.Equal(ProviderErrorKind.Deleted, third["app/e"].Error!.Kind);
    }

    [Fact]
    public async Task SameSecondVersions_ReportsLastSet()
    {
        await using AzureKeyVaultProvider provider = CreateProvider();
        await PollAsync(provider);

        // Version ids are random, so repeat until the older version sorts after the newer one by id.
        var second = new DateTimeOffset(2026, 12, 5, 2, 0, 0, TimeSpan.Zero);
        string older;
        string newer;
        do
        {
            second = second.AddMinutes(1);
            _server.SetClock(second);
            older = _server.SetSecret(NameOf("app/c"), "older value");
            _server.SetClock(second);
            newer = _server.SetSecret(NameOf("app/c"), "newer value");
        }
        while (string.CompareOrdinal(older, newer) < 0);

        IReadOnlyDictionary<string, VersionLookup> polled = await PollAsync(provider);

        Assert.Equal(newer, polled["app/c"].VersionId);
    }

    [Fact]
    public async Task ChangeInListSecond_LookedUpAgain()
    {
        await using AzureKeyVaultProvider provider = CreateProvider();
        await PollAsync(provider);

        // A timestamp at or after the list's Date header stands for a change in the second the list was read.
        _server.SetClock(DateTimeOffset.UtcNow.AddMinutes(1));
        string version = _server.SetSecret(NameOf("app/a"), "new value");
        await PollAsync(provider);
        int versionReadsBefore = _server.VersionListReads;

        IReadOnlyDictionary<string, VersionLookup> third = await PollAsync(provider);

        Assert.Equal(version, third["app/a"].VersionId);
        Assert.Equal(versionReadsBefore + 1, _server.VersionListReads);
    }

    [Fact]
    public async Task FewSecretsInLargeVault_SkipsList()
    {
        await using AzureKeyVaultProvider provider = CreateProvider();
        await provider.GetCurrentVersionsAsync(["app/a"], CancellationToken.None);
        int listReadsBefore = _server.SecretListReads;
        int versionReadsBefore = _server.VersionListReads;

        IReadOnlyDictionary<string, VersionLookup> second = await provider.GetCurrentVersionsAsync(["app/a"], CancellationToken.None);

        // The list took 3 pages for 1 secret, so one lookup is cheaper.
        Assert.True(second["app/a"].Succeeded);
        Assert.Equal(listReadsBefore, _server.SecretListReads);
        Assert.Equal(versionReadsBefore + 1, _server.VersionListReads);
    }

    [Fact]
    public async Task ListPage_FollowsWireFormat()
    {
        _server.SetSecret("typed", "v", contentType: "text/plain");
        using var client = new HttpClient(new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true });
        string token = await TokenAsync(client);
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{_server.BaseUrl}/secrets?api-version=7.4&maxresults=25");
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);

        using HttpResponseMessage response = await client.SendAsync(request);
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());

        System.Text.Json.JsonElement first = body.RootElement.GetProperty("value")[0];
        Assert.Equal($"{_server.BaseUrl}/secrets/{NameOf("app/a")}", first.GetProperty("id").GetString());
        Assert.True(first.GetProperty("attributes").GetProperty("enabled").GetBoolean());
        Assert.True(first.GetProperty("attributes").TryGetProperty("updated", out _));
        Assert.Contains("$skiptoken=", body.RootElement.GetProperty("nextLink").GetString(), StringComparison.Ordinal);
        Assert.NotNull(response.Headers.Date);
    }

    private static readonly TimeSpan FullCheckInterval = TimeSpan.FromMinutes(10);

    private static string NameOf(string path) => AzureSecretNames.ToKeyVaultName(path, out _)!;

    private static Task<IReadOnlyDictionary<string, VersionLookup>> PollAsync(AzureKeyVaultProvider provider) =>
        provider.GetCurrentVersionsAsync(Paths, CancellationToken.None);

    private async Task<string> TokenAsync(HttpClient client)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["grant_type"] = "client_credentials",
            ["client_id"] = KeyVaultTestServer.ClientId,
            ["client_secret"] = ClientSecret,
            ["scope"] = "https://vault.azure.net/.default",
        });
        using HttpResponseMessage response = await client.PostAsync($"{_server.BaseUrl}/{KeyVaultTestServer.TenantId}/oauth2/v2.0/token", form);
        using var body = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("access_token").GetString()!;
    }

    private AzureKeyVaultProvider CreateProvider()
    {
        var config = new AzureProviderConfig
        {
            Name = "kv",
            VaultUrl = new Uri(_server.BaseUrl + "/"),
            TenantId = KeyVaultTestServer.TenantId,
            ClientId = KeyVaultTestServer.ClientId,
            ClientSecret = ClientSecret,
            AuthorityHost = new Uri(_server.BaseUrl + "/"),
            CaFile = _server.CaPemPath,
            DisableInstanceDiscovery = true,
        };
        var settings = new AzureClientSettings
        {
            Resilience = new ProviderResilienceOptions
            {
                AttemptTimeout = TimeSpan.FromSeconds(10),
                RetryBaseDelay = TimeSpan.Zero,
                MaxRetries = 3,
                CircuitMinimumThroughput = 1000,
            },
            FullCheckInterval = FullCheckInterval,
            DisableChallengeResourceVerification = true,
            WrapHandler = handler => new LoopbackOnlyHandler(handler),
        };
        return new AzureKeyVaultProvider(config, new ProviderContext(_time, new CapturingLoggerFactory(_logs), _ => null), settings);
    }
}
