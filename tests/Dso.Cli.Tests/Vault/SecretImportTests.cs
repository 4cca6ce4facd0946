using System.Text;
using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Vault;

public sealed class SecretImportTests
{
    /// <summary>A .env file as a project might have it, with CRLF line endings.</summary>
    private static readonly string DotEnv = string.Join("\r\n",
        "# Database",
        "export DB_USER=app",
        "DB_PASSWORD=\"p@ss w0rd # not a comment\"",
        "DB_HOST=db.internal # a comment",
        "",
        "# Literal, not interpolated",
        "API_TOKEN='tok$NOT_A_VARIABLE\\n'",
        "EMPTY=",
        "QUOTED_JSON=\"{\\\"k\\\": \\\"v\\\"}\"",
        "TLS_KEY=\"-----BEGIN PRIVATE KEY-----",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
        "q+/z9=abc#def ghi",
        "-----END PRIVATE KEY-----",
        "\"",
        "");

    private static readonly Dictionary<string, string> Expected = new(StringComparer.Ordinal)
    {
        ["app/DB_USER"] = "app",
        ["app/DB_PASSWORD"] = "p@ss w0rd # not a comment",
        ["app/DB_HOST"] = "db.internal",
        ["app/API_TOKEN"] = "tok$NOT_A_VARIABLE\\n",
        ["app/EMPTY"] = "",
        ["app/QUOTED_JSON"] = "{\"k\": \"v\"}",
        ["app/TLS_KEY"] = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nq+/z9=abc#def ghi\n-----END PRIVATE KEY-----\n",
    };

    [Fact]
    public async Task Import_RealisticDotEnv_StoresExactValues()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        string envPath = WriteDotEnv(home);

        await DsoCli.RunOkAsync(home, ["secret", "import", envPath, "--prefix", "app/"]);

        foreach ((string name, string value) in Expected)
        {
            DsoResult get = await DsoCli.RunOkAsync(home, ["secret", "get", name]);
            Assert.True(Encoding.UTF8.GetBytes(value).AsSpan().SequenceEqual(get.StandardOutputBytes), $"{name}: expected {JsonSerializer.Serialize(value)}, got {JsonSerializer.Serialize(get.StandardOutput)}");
        }
    }

    [Fact]
    public async Task Import_RealisticDotEnv_ImportsEveryNameInOneRevision()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await DsoCli.SetSecretAsync(home, "other/secret", "x");
        string envPath = WriteDotEnv(home);
        long revisionBefore = await RevisionAsync(home);

        DsoResult import = await DsoCli.RunOkAsync(home, ["secret", "import", envPath, "--prefix", "app/", "--json"]);

        Assert.Equal(revisionBefore + 1, await RevisionAsync(home));
        using JsonDocument output = JsonDocument.Parse(import.StandardOutputBytes);
        Assert.Equal(Expected.Keys.Order(StringComparer.Ordinal), output.RootElement.GetProperty("imported").EnumerateArray().Select(name => name.GetString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Import_InvalidName_ImportsNothing()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        string envPath = Path.Combine(home.Root, "bad.env");
        File.WriteAllText(envPath, "GOOD=1\nLIST[0]=2\n");
        string hashBefore = home.HashVault();

        DsoResult import = await DsoCli.RunAsync(home, ["secret", "import", envPath, "--prefix", "app/"]);

        Assert.Equal(1, import.ExitCode);
        Assert.Contains($"{envPath}:2: \"app/LIST[0]\" is not a valid secret name; nothing was imported", import.StandardError, StringComparison.Ordinal);
        Assert.Equal(hashBefore, home.HashVault());
    }

    private static string WriteDotEnv(TestHome home)
    {
        string path = Path.Combine(home.Root, "project.env");
        File.WriteAllText(path, DotEnv, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false));
        return path;
    }

    private static async Task<long> RevisionAsync(TestHome home)
    {
        DsoResult check = await DsoCli.RunOkAsync(home, ["vault", "check", "--json"]);
        using JsonDocument document = JsonDocument.Parse(check.StandardOutputBytes);
        return document.RootElement.GetProperty("revision").GetInt64();
    }
}
