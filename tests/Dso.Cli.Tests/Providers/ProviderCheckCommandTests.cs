using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Providers;

/// <summary>dso provider check run as a real process against a local-vault provider in a temporary folder.</summary>
public sealed class ProviderCheckCommandTests : IDisposable
{
    private readonly ProviderTestHome _home = new();

    [Fact]
    public async Task Check_AllReadable_ExitsZero()
    {
        await _home.InitializeAsync(
            ProviderTestHome.Secret("db_password", "app/json", "    key_path: [db, password]\n")
            + ProviderTestHome.Secret("cert", "app/json", "    key: tls.crt\n")
            + ProviderTestHome.Secret("plain", "app/plain"));

        DsoResult result = await _home.RunAsync("provider", "check");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("provider main (local): connected", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("ok    db_password  version 1@", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("(path app/json, key_path [db, password])", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("ok    cert ", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("3 of 3 secrets readable; 1 of 1 providers connected.", result.StandardOutput, StringComparison.Ordinal);
        AssertNoValue(result);
    }

    [Fact]
    public async Task Check_MissingEntry_FailsNamingPath()
    {
        await _home.InitializeAsync(ProviderTestHome.Secret("plain", "app/plain") + ProviderTestHome.Secret("gone", "app/none"));

        DsoResult result = await _home.RunAsync("provider", "check");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"FAIL  gone   path app/none: Provider main: {_home.Home.VaultPath} has no entry app/none. Add it with dso secret set app/none.", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("ok    plain", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("1 of 2 secrets readable", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_WrongKeyFile_ReportsConnectionFailure()
    {
        await _home.InitializeAsync(ProviderTestHome.Secret("plain", "app/plain"));
        _home.ReplaceKeyFile();

        DsoResult result = await _home.RunAsync("provider", "check", "main");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("provider main (local): FAILED: Provider main: ", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("wrong key", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains(_home.Home.MasterKeyPath, result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("FAIL  plain  path app/plain: not checked, because the connection check failed", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_DottedKeyNotFound_SuggestsKeyPath()
    {
        await _home.InitializeAsync(ProviderTestHome.Secret("db_password", "app/json", "    key: db.password\n"));

        DsoResult result = await _home.RunAsync("provider", "check");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("write key_path: [db, password] instead of key.", result.StandardOutput, StringComparison.Ordinal);
        AssertNoValue(result);
    }

    [Fact]
    public async Task Check_Json_HasDocumentedShape()
    {
        await _home.InitializeAsync(
            ProviderTestHome.Secret("db_password", "app/json", "    key_path: [db, password]\n")
            + ProviderTestHome.Secret("gone", "app/none", "    key: password\n"));

        DsoResult result = await _home.RunAsync("provider", "check", "--json");

        Assert.Equal(1, result.ExitCode);
        using JsonDocument document = JsonDocument.Parse(result.StandardOutput);
        JsonElement root = document.RootElement;
        Assert.Equal(["config", "ok", "providers"], root.EnumerateObject().Select(property => property.Name));
        Assert.Equal(_home.ConfigPath, root.GetProperty("config").GetString());
        Assert.False(root.GetProperty("ok").GetBoolean());
        JsonElement provider = Assert.Single(root.GetProperty("providers").EnumerateArray());
        Assert.Equal(["name", "type", "connected", "error", "secrets"], provider.EnumerateObject().Select(property => property.Name));
        Assert.Equal("main", provider.GetProperty("name").GetString());
        Assert.Equal("local", provider.GetProperty("type").GetString());
        Assert.True(provider.GetProperty("connected").GetBoolean());
        Assert.Equal(JsonValueKind.Null, provider.GetProperty("error").ValueKind);
        JsonElement[] secrets = [.. provider.GetProperty("secrets").EnumerateArray()];
        Assert.Equal(["db_password", "gone"], secrets.Select(secret => secret.GetProperty("name").GetString()));
        Assert.Equal(["name", "path", "key", "key_path", "readable", "version", "error"], secrets[0].EnumerateObject().Select(property => property.Name));
        Assert.True(secrets[0].GetProperty("readable").GetBoolean());
        Assert.StartsWith("1@", secrets[0].GetProperty("version").GetString(), StringComparison.Ordinal);
        Assert.Equal(["db", "password"], secrets[0].GetProperty("key_path").EnumerateArray().Select(item => item.GetString()));
        Assert.Equal(JsonValueKind.Null, secrets[0].GetProperty("key").ValueKind);
        Assert.Equal(JsonValueKind.Null, secrets[0].GetProperty("error").ValueKind);
        Assert.False(secrets[1].GetProperty("readable").GetBoolean());
        Assert.Equal("password", secrets[1].GetProperty("key").GetString());
        Assert.Equal(JsonValueKind.Null, secrets[1].GetProperty("version").ValueKind);
        Assert.Contains("has no entry app/none", secrets[1].GetProperty("error").GetString(), StringComparison.Ordinal);
        AssertNoValue(result);
    }

    [Fact]
    public async Task Check_OtherProviderFails_LocalStillChecked()
    {
        // Before the AWS provider exists the factory rejects the type; afterwards the call is refused by
        // 127.0.0.1:9, which nothing listens on. Either way the provider fails and the check goes on.
        await _home.InitializeAsync(
            ProviderTestHome.Secret("plain", "app/plain") + ProviderTestHome.Secret("remote", "shop/db", provider: "cloud"),
            "  cloud:\n    type: aws\n    region: us-east-1\n    endpoint: http://127.0.0.1:9\n");

        DsoResult result = await DsoCli.RunAsync(
            _home.Home,
            ["--config", _home.ConfigPath, "provider", "check", "--json", "--timeout", "20s"],
            environment: new Dictionary<string, string> { ["AWS_ACCESS_KEY_ID"] = "AKIDTEST", ["AWS_SECRET_ACCESS_KEY"] = "test-secret-key", ["AWS_REGION"] = "us-east-1" });

        Assert.Equal(1, result.ExitCode);
        using JsonDocument document = JsonDocument.Parse(result.StandardOutput);
        JsonElement[] providers = [.. document.RootElement.GetProperty("providers").EnumerateArray()];
        JsonElement main = providers.Single(provider => provider.GetProperty("name").GetString() == "main");
        JsonElement cloud = providers.Single(provider => provider.GetProperty("name").GetString() == "cloud");
        Assert.True(main.GetProperty("secrets")[0].GetProperty("readable").GetBoolean());
        Assert.Equal("aws", cloud.GetProperty("type").GetString());
        Assert.False(cloud.GetProperty("secrets")[0].GetProperty("readable").GetBoolean());
        Assert.StartsWith("Provider cloud", cloud.GetProperty("connected").GetBoolean() ? cloud.GetProperty("secrets")[0].GetProperty("error").GetString() : cloud.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("test-secret-key", result.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_UnknownName_IsUsageError()
    {
        await _home.InitializeAsync(ProviderTestHome.Secret("plain", "app/plain"));

        DsoResult result = await _home.RunAsync("provider", "check", "nope");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{_home.ConfigPath} has no provider named nope; its providers are: main.", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Check_EmptySelectedValue_IsNotReadable()
    {
        await _home.InitializeAsync(ProviderTestHome.Secret("empty", "app/empty", "    key: password\n"));
        await DsoCli.SetSecretAsync(_home.Home, "app/empty", """{"password": ""}""");

        DsoResult result = await _home.RunAsync("provider", "check");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("gives an empty value for key password, so it is reported as not readable", result.StandardOutput, StringComparison.Ordinal);
    }

    public void Dispose() => _home.Dispose();

    private static void AssertNoValue(DsoResult result)
    {
        foreach (string value in new[] { ProviderTestHome.JsonPassword, "CERT-7Hq2", ProviderTestHome.PlainValue.TrimEnd('\n') })
        {
            Assert.DoesNotContain(value, result.StandardOutput, StringComparison.Ordinal);
            Assert.DoesNotContain(value, result.StandardError, StringComparison.Ordinal);
        }
    }
}
