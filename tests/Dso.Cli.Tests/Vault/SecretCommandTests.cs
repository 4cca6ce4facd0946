using System.Text;
using System.Text.Json;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Vault;

public sealed class SecretCommandTests
{
    private const string Canary = "canary-7d3e9b1c-do-not-print";

    [Fact]
    public async Task SetThenGet_PemKeyWithTrailingNewline_ReturnsSameBytes()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        byte[] pem = Encoding.UTF8.GetBytes("-----BEGIN PRIVATE KEY-----\n  MIIB\tindented \n-----END PRIVATE KEY-----\n\n");

        await DsoCli.RunOkAsync(home, ["secret", "set", "app/tls/key"], pem);
        DsoResult get = await DsoCli.RunOkAsync(home, ["secret", "get", "app/tls/key"]);

        Assert.Equal(pem, get.StandardOutputBytes);
    }

    [Theory]
    [InlineData("crlf")]
    [InlineData("trailing-newline")]
    [InlineData("empty")]
    [InlineData("binary-1-mib")]
    public async Task SetThenGet_ValueFromStdin_ReturnsSameBytes(string kind)
    {
        using TestHome home = await new TestHome().InitializeAsync();
        byte[] value = ValueOfKind(kind);

        await DsoCli.RunOkAsync(home, ["secret", "set", "app/value"], value);
        DsoResult get = await DsoCli.RunOkAsync(home, ["secret", "get", "app/value"]);

        Assert.Equal(value.Length, get.StandardOutputBytes.Length);
        Assert.Equal(value, get.StandardOutputBytes);
    }

    [Fact]
    public async Task Set_ValueOnCommandLine_ExitsTwoStoresNothing()
    {
        using TestHome home = await new TestHome().InitializeAsync();

        DsoResult set = await DsoCli.RunAsync(home, ["secret", "set", "app/password", Canary]);

        Assert.Equal(2, set.ExitCode);
        JsonElement list = await ListJsonAsync(home);
        Assert.Equal(0, list.GetProperty("secrets").GetArrayLength());
        Assert.Equal(0, list.GetProperty("revision").GetInt64());
    }

    [Theory]
    [InlineData("value")]
    [InlineData("--value")]
    [InlineData("--value=")]
    public async Task Set_ValueOnCommandLine_ErrorDoesNotEchoValue(string form)
    {
        using TestHome home = await new TestHome().InitializeAsync();
        string[] arguments = form switch
        {
            "value" => ["secret", "set", "app/password", Canary],
            "--value" => ["secret", "set", "app/password", "--value", Canary],
            _ => ["secret", "set", "app/password", "--value=" + Canary],
        };

        DsoResult set = await DsoCli.RunAsync(home, arguments);

        Assert.Equal(2, set.ExitCode);
        Assert.DoesNotContain(Canary, set.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, set.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Pass the value on standard input", set.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_Json_ShowsNamesAndMetadata()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await DsoCli.SetSecretAsync(home, "app/db/password", "first");
        await DsoCli.SetSecretAsync(home, "app/db/password", "second\n");
        await DsoCli.SetSecretAsync(home, "app/api/token", "t");

        JsonElement list = await ListJsonAsync(home);

        Assert.Equal(home.VaultPath, list.GetProperty("vault").GetString());
        Assert.Equal(3, list.GetProperty("revision").GetInt64());
        JsonElement[] secrets = [.. list.GetProperty("secrets").EnumerateArray()];
        Assert.Equal(["app/api/token", "app/db/password"], secrets.Select(secret => secret.GetProperty("name").GetString()));
        Assert.Equal(2, secrets[1].GetProperty("version").GetInt64());
        Assert.Equal(7, secrets[1].GetProperty("bytes").GetInt64());
        Assert.True(secrets[1].GetProperty("created").GetDateTimeOffset() <= secrets[1].GetProperty("updated").GetDateTimeOffset());
    }

    [Fact]
    public async Task List_Json_NeverPrintsValue()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await DsoCli.SetSecretAsync(home, "app/canary", Canary);

        DsoResult list = await DsoCli.RunOkAsync(home, ["secret", "list", "--json"]);
        DsoResult table = await DsoCli.RunOkAsync(home, ["secret", "list"]);

        string base64 = Convert.ToBase64String(Encoding.UTF8.GetBytes(Canary));
        Assert.Contains("app/canary", list.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, list.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, list.StandardError, StringComparison.Ordinal);
        Assert.DoesNotContain(base64, list.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, table.StandardOutput, StringComparison.Ordinal);
        Assert.DoesNotContain(Canary, table.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Remove_ExistingSecret_GetThenFails()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await DsoCli.SetSecretAsync(home, "app/old", "value");
        await DsoCli.SetSecretAsync(home, "app/kept", "kept");

        await DsoCli.RunOkAsync(home, ["secret", "rm", "app/old"]);

        DsoResult get = await DsoCli.RunAsync(home, ["secret", "get", "app/old"]);
        Assert.Equal(1, get.ExitCode);
        JsonElement list = await ListJsonAsync(home);
        Assert.Equal(["app/kept"], list.GetProperty("secrets").EnumerateArray().Select(secret => secret.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task Remove_MissingSecret_ExitsOneNamingIt()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        string hashBefore = home.HashVault();

        DsoResult remove = await DsoCli.RunAsync(home, ["secret", "rm", "app/missing"]);

        Assert.Equal(1, remove.ExitCode);
        Assert.Contains("\"app/missing\" was not found", remove.StandardError, StringComparison.Ordinal);
        Assert.Equal(hashBefore, home.HashVault());
    }

    [Fact]
    public async Task Get_MissingSecret_ExitsOneNamingSecretAndVault()
    {
        using TestHome home = await new TestHome().InitializeAsync();

        DsoResult get = await DsoCli.RunAsync(home, ["secret", "get", "app/missing"]);

        Assert.Equal(1, get.ExitCode);
        Assert.Empty(get.StandardOutputBytes);
        Assert.Contains("\"app/missing\" was not found", get.StandardError, StringComparison.Ordinal);
        Assert.Contains(home.VaultPath, get.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Get_InvalidName_ExitsWithUsageError()
    {
        using TestHome home = await new TestHome().InitializeAsync();

        DsoResult get = await DsoCli.RunAsync(home, ["secret", "get", "app/../etc"]);

        Assert.Equal(2, get.ExitCode);
        Assert.Contains("Invalid secret name \"app/../etc\"", get.StandardError, StringComparison.Ordinal);
    }

    private static byte[] ValueOfKind(string kind) => kind switch
    {
        "crlf" => Encoding.UTF8.GetBytes("line one\r\nline two\r\n"),
        "trailing-newline" => Encoding.UTF8.GetBytes("value\n"),
        "empty" => [],
        "binary-1-mib" => BinaryValue(1024 * 1024),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown kind of value."),
    };

    /// <summary>Returns seeded pseudo-random bytes that start with NUL and end with a newline.</summary>
    private static byte[] BinaryValue(int length)
    {
        byte[] value = new byte[length];
        new Random(1).NextBytes(value);
        value[0] = 0;
        value[^1] = (byte)'\n';
        return value;
    }

    private static async Task<JsonElement> ListJsonAsync(TestHome home)
    {
        DsoResult list = await DsoCli.RunOkAsync(home, ["secret", "list", "--json"]);
        using JsonDocument document = JsonDocument.Parse(list.StandardOutputBytes);
        return document.RootElement.Clone();
    }
}
