using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Providers;

/// <summary>dso fetch run as a real process against a local-vault provider in a temporary folder.</summary>
public sealed class FetchCommandTests : IDisposable
{
    private readonly ProviderTestHome _home = new();

    private static readonly string Secrets =
        ProviderTestHome.Secret("db_password", "app/json", "    key_path: [db, password]\n")
        + ProviderTestHome.Secret("settings", "app/json")
        + ProviderTestHome.Secret("wrong", "app/json", "    key: db.password\n")
        + ProviderTestHome.Secret("plain", "app/plain")
        + ProviderTestHome.Secret("gone", "app/none");

    [Fact]
    public async Task Fetch_JsonObject_ListsKeysMasked()
    {
        await _home.InitializeAsync(Secrets);

        DsoResult result = await _home.RunAsync("fetch", "db_password");

        Assert.True(result.ExitCode == 0, result.ToString());
        string output = result.StandardOutput;
        Assert.Contains("secret:    db_password", output, StringComparison.Ordinal);
        Assert.Contains("provider:  main (local)", output, StringComparison.Ordinal);
        Assert.Contains("version:   1@", output, StringComparison.Ordinal);
        Assert.Contains("  db.password  string   **** (13 bytes)", output, StringComparison.Ordinal);
        Assert.Contains("  db.port      number   **** (4 bytes)", output, StringComparison.Ordinal);
        Assert.Contains("  list[1]      string   **** (1 byte)", output, StringComparison.Ordinal);
        Assert.Contains("  [\"tls.crt\"]  string   **** (9 bytes)", output, StringComparison.Ordinal);
        Assert.Contains("delivers:  key_path [db, password]: **** (13 bytes)", output, StringComparison.Ordinal);
        AssertNoValue(result);
    }

    [Fact]
    public async Task Fetch_PlainValue_IsMasked()
    {
        await _home.InitializeAsync(Secrets);

        DsoResult result = await _home.RunAsync("fetch", "plain");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("value:     text, **** (18 bytes)", result.StandardOutput, StringComparison.Ordinal);
        AssertNoValue(result);
    }

    [Fact]
    public async Task Fetch_Reveal_PrintsValuesToStdoutOnly()
    {
        await _home.InitializeAsync(Secrets);

        DsoResult json = await _home.RunAsync("fetch", "db_password", "--reveal");
        DsoResult plain = await _home.RunAsync("fetch", "plain", "--reveal");

        Assert.True(json.ExitCode == 0, json.ToString());
        Assert.Contains("  db.password  string   " + ProviderTestHome.JsonPassword, json.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("delivers:  key_path [db, password]: " + ProviderTestHome.JsonPassword, json.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(ProviderTestHome.JsonPassword, json.StandardError, StringComparison.Ordinal);
        Assert.True(plain.ExitCode == 0, plain.ToString());
        Assert.Contains("value:     text, " + ProviderTestHome.PlainValue, plain.StandardOutput, StringComparison.Ordinal);
        Assert.Equal("", plain.StandardError);
    }

    [Fact]
    public async Task Fetch_Json_MasksUnlessRevealed()
    {
        await _home.InitializeAsync(Secrets);

        DsoResult masked = await _home.RunAsync("fetch", "db_password", "--json");
        DsoResult revealed = await _home.RunAsync("fetch", "db_password", "--json", "--reveal");

        Assert.True(masked.ExitCode == 0, masked.ToString());
        AssertNoValue(masked);
        using JsonDocument maskedDocument = JsonDocument.Parse(masked.StandardOutput);
        JsonElement root = maskedDocument.RootElement;
        Assert.Equal("json_object", root.GetProperty("format").GetString());
        Assert.False(root.GetProperty("revealed").GetBoolean());
        Assert.False(root.TryGetProperty("value", out _));
        JsonElement password = root.GetProperty("keys").EnumerateArray().Single(key => key.GetProperty("key").GetString() == "db.password");
        Assert.Equal(13, password.GetProperty("length").GetInt32());
        Assert.Equal(["db", "password"], password.GetProperty("key_path").EnumerateArray().Select(item => item.GetString()));
        Assert.False(password.TryGetProperty("value", out _));
        Assert.Equal(13, root.GetProperty("delivers").GetProperty("length").GetInt32());

        using JsonDocument revealedDocument = JsonDocument.Parse(revealed.StandardOutput);
        Assert.Equal(ProviderTestHome.JsonPassword, revealedDocument.RootElement.GetProperty("delivers").GetProperty("value").GetString());
        Assert.Equal(ProviderTestHome.JsonValue, revealedDocument.RootElement.GetProperty("value").GetString());
        Assert.DoesNotContain(ProviderTestHome.JsonPassword, revealed.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_DottedKey_SuggestsKeyPath()
    {
        await _home.InitializeAsync(Secrets);

        DsoResult result = await _home.RunAsync("fetch", "wrong");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("  db.password  string   **** (13 bytes)", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("dso: Secret wrong (provider main): the JSON object has no top-level key \"db.password\"", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("write key_path: [db, password] instead of key.", result.StandardError, StringComparison.Ordinal);
        AssertNoValue(result);
    }

    [Fact]
    public async Task Fetch_MissingEntry_NamesSecretProviderAndCause()
    {
        await _home.InitializeAsync(Secrets);

        DsoResult result = await _home.RunAsync("fetch", "gone");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.Contains($"dso: Secret gone (provider main, path app/none): Provider main: {_home.Home.VaultPath} has no entry app/none. Add it with dso secret set app/none.", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_JsonMissingEntry_ErrorInJson()
    {
        await _home.InitializeAsync(Secrets);

        DsoResult result = await _home.RunAsync("fetch", "gone", "--json");

        Assert.Equal(1, result.ExitCode);
        using JsonDocument document = JsonDocument.Parse(result.StandardOutput);
        JsonElement root = document.RootElement;
        Assert.Equal("gone", root.GetProperty("secret").GetString());
        Assert.Equal("app/none", root.GetProperty("path").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("version").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("keys").ValueKind);
        Assert.Contains($"has no entry app/none. Add it with dso secret set app/none.", root.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Contains("dso: Secret gone (provider main, path app/none)", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_WrongKeyFile_NamesKeyFile()
    {
        await _home.InitializeAsync(Secrets);
        _home.ReplaceKeyFile();

        DsoResult result = await _home.RunAsync("fetch", "plain", "--reveal");

        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.StandardOutput);
        Assert.Contains("dso: Secret plain (provider main, path app/plain): Provider main: ", result.StandardError, StringComparison.Ordinal);
        Assert.Contains(_home.Home.MasterKeyPath, result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fetch_UnknownSecret_IsUsageError()
    {
        await _home.InitializeAsync(Secrets);

        DsoResult result = await _home.RunAsync("fetch", "nope");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"{_home.ConfigPath} has no secret named nope; its secrets are: db_password, gone, plain, settings, wrong.", result.StandardError, StringComparison.Ordinal);
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
