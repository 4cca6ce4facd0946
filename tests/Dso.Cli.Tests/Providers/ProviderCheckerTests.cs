using Dso.Agent.Configuration;
using Dso.Agent.Providers;
using Dso.Cli.Commands.Providers;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dso.Cli.Tests.Providers;

/// <summary>ProviderChecker with an in-memory provider, for failures the local vault cannot produce.</summary>
public sealed class ProviderCheckerTests
{
    private const string TimeoutReason = "the check reached its time limit";

    private static readonly ProviderConfig Config = new LocalProviderConfig { Name = "scripted", VaultPath = "/nonexistent/vault.enc" };

    [Fact]
    public async Task Check_HangingFetch_ReportsTimeLimit()
    {
        var provider = new ScriptedProvider("scripted", new() { ["a"] = "value-a" }) { HangOnFetch = true };
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        ProviderCheckResult result = await ProviderChecker.CheckAsync(provider, Config, [Secret("one", "a")], TimeoutReason, deadline.Token);

        SecretCheck check = Assert.Single(result.Secrets);
        Assert.True(result.Connected);
        Assert.False(check.Readable);
        Assert.Equal($"not checked: {TimeoutReason}", check.Error);
    }

    [Fact]
    public async Task Check_UnexpectedException_HidesItsMessage()
    {
        var provider = new ScriptedProvider("scripted", new() { ["a"] = "value-a" }) { Failure = new FormatException("bad char in value-a") };

        ProviderCheckResult result = await ProviderChecker.CheckAsync(provider, Config, [Secret("one", "a")], TimeoutReason, CancellationToken.None);

        SecretCheck check = Assert.Single(result.Secrets);
        Assert.False(check.Readable);
        Assert.Equal("Provider scripted: failed with an unexpected FormatException; its message is not shown because it could contain a secret value. This is a bug in dso; please report it.", check.Error);
    }

    [Fact]
    public async Task Check_MixedSecrets_ReportsEachOnItsOwn()
    {
        var provider = new ScriptedProvider("scripted", new() { ["a"] = """{"k": "v"}""", ["b"] = "not json" });

        ProviderCheckResult result = await ProviderChecker.CheckAsync(
            provider,
            Config,
            [Secret("one", "a", key: "k"), Secret("two", "b", key: "k"), Secret("three", "c")],
            TimeoutReason,
            CancellationToken.None);

        Assert.True(result.Secrets[0].Readable);
        Assert.Equal("v1", result.Secrets[0].Version);
        Assert.StartsWith("Secret two (provider scripted): the value is not valid JSON", result.Secrets[1].Error, StringComparison.Ordinal);
        Assert.Equal("Provider scripted: no secret c.", result.Secrets[2].Error);
        Assert.False(result.AllReadable);
    }

    [Fact]
    public async Task Check_UnsupportedType_ReportedNotThrown()
    {
        var unknown = new UnknownProviderConfig { Name = "future" };
        var context = new ProviderContext(TimeProvider.System, NullLoggerFactory.Instance, _ => null);

        ProviderCheckResult result = await ProviderChecker.CheckAsync(unknown, [Secret("one", "a", provider: "future")], context, TimeoutReason, CancellationToken.None);

        Assert.False(result.Connected);
        Assert.Equal("Provider future: type 99 is not supported by this build of dso.", result.Error);
        Assert.Equal("not checked, because the provider could not be created", Assert.Single(result.Secrets).Error);
    }

    private static SecretConfig Secret(string name, string path, string? key = null, string provider = "scripted") => new()
    {
        Name = name,
        Provider = provider,
        Path = path,
        Key = key,
        Inject = new InjectConfig(),
        Targets = new TargetsConfig { Containers = ["web"] },
        Rotation = new RotationConfig(),
    };

    /// <summary>A provider type that no build of dso has, in place of one the factory does not support yet.</summary>
    private sealed record UnknownProviderConfig : ProviderConfig
    {
        public override ProviderType Type => (ProviderType)99;
    }
}
