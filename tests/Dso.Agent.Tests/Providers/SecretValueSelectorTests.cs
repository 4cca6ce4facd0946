using System.Text;
using Dso.Agent.Configuration;
using Dso.Agent.Providers;

namespace Dso.Agent.Tests.Providers;

public sealed class SecretValueSelectorTests
{
    private const string Document = """
        {
          "password": "s3cr3t-Pa55",
          "tls.crt": "literal-dotted",
          "tls": { "crt": "nested-crt" },
          "port": 5432,
          "ratio": 1.50,
          "big": 12345678901234567890123,
          "exp": 1E+2,
          "enabled": true,
          "disabled": false,
          "nothing": null,
          "text": "line1\nline2\t\"quoted\" \u00e9 \u2603 <&>",
          "db": { "zeta": 1, "Alpha": "a", "alpha": [3, {"y": 2, "x": 1}], "_u": "\u00e9" },
          "list": ["first", "second"]
        }
        """;

    public static TheoryData<string, string> KeyRenderings => new()
    {
        { "password", "s3cr3t-Pa55" },
        { "port", "5432" },
        { "ratio", "1.50" },
        { "big", "12345678901234567890123" },
        { "exp", "1E+2" },
        { "enabled", "true" },
        { "disabled", "false" },
        { "text", "line1\nline2\t\"quoted\" é ☃ <&>" },
        { "list", "[\"first\",\"second\"]" },
        { "db", "{\"Alpha\":\"a\",\"_u\":\"é\",\"alpha\":[3,{\"x\":1,\"y\":2}],\"zeta\":1}" },
    };

    [Theory]
    [MemberData(nameof(KeyRenderings))]
    public void Apply_Key_RendersDeterministically(string key, string expected)
    {
        using SecretPayload result = Apply(Secret(key: key), Document);

        Assert.Equal(expected, Encoding.UTF8.GetString(result.Value));
        Assert.True(result.IsText);
        Assert.Equal("v1", result.VersionId);
    }

    [Fact]
    public void Apply_KeyWithDot_IsLiteralFirst()
    {
        using SecretPayload result = Apply(Secret(key: "tls.crt"), Document);

        Assert.Equal("literal-dotted", Encoding.UTF8.GetString(result.Value));
    }

    [Fact]
    public void Apply_KeyPath_WalksObjectsAndArrays()
    {
        using SecretPayload nested = Apply(Secret(keyPath: ["tls", "crt"]), Document);
        using SecretPayload indexed = Apply(Secret(keyPath: ["db", "alpha", "1", "x"]), Document);
        using SecretPayload dotted = Apply(Secret(keyPath: ["tls.crt"]), Document);

        Assert.Equal("nested-crt", Encoding.UTF8.GetString(nested.Value));
        Assert.Equal("1", Encoding.UTF8.GetString(indexed.Value));
        Assert.Equal("literal-dotted", Encoding.UTF8.GetString(dotted.Value));
    }

    [Fact]
    public void Apply_DottedKeyOnlyNested_SuggestsKeyPath()
    {
        string json = """{"db": {"password": "hunter2-value"}}""";

        var error = Assert.Throws<ProviderException>(() => Apply(Secret(key: "db.password"), json));

        Assert.Equal("Secret db_password (provider vault_main): the JSON object has no top-level key \"db.password\"; key is taken literally, so its dots do not separate keys. The value has the nested key [db, password], write key_path: [db, password] instead of key.", error.Message);
        Assert.Equal("vault_main", error.Provider);
        Assert.DoesNotContain("hunter2-value", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_DottedKeyNowhere_StillSuggestsKeyPath()
    {
        var error = Assert.Throws<ProviderException>(() => Apply(Secret(key: "a.b"), Document));

        Assert.Contains("For a nested key, such as [a, b], write key_path: [a, b] instead of key.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_MissingKey_ListsKeysNotValues()
    {
        var error = Assert.Throws<ProviderException>(() => Apply(Secret(key: "user"), """{"password": "hunter2-value", "host": "db"}"""));

        Assert.Equal("Secret db_password (provider vault_main): the JSON object has no top-level key \"user\". Its keys are: password, host. Correct key, or check the secret at the provider.", error.Message);
    }

    [Fact]
    public void Apply_MissingKeyPathSegment_NamesWhereItStopped()
    {
        var missing = Assert.Throws<ProviderException>(() => Apply(Secret(keyPath: ["db", "user"]), Document));
        var index = Assert.Throws<ProviderException>(() => Apply(Secret(keyPath: ["list", "2"]), Document));
        var leadingZero = Assert.Throws<ProviderException>(() => Apply(Secret(keyPath: ["list", "01"]), Document));
        var scalar = Assert.Throws<ProviderException>(() => Apply(Secret(keyPath: ["password", "x"]), Document));

        Assert.Contains("the value at [db] has no key \"user\" (its keys are: zeta, Alpha, alpha, _u)", missing.Message, StringComparison.Ordinal);
        Assert.Contains("the value at [list] is an array of 2 elements, and \"2\" is not an index from 0 to 1", index.Message, StringComparison.Ordinal);
        Assert.Contains("\"01\" is not an index", leadingZero.Message, StringComparison.Ordinal);
        Assert.Contains("the value at [password] is a JSON string, which has no key \"x\"", scalar.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-Pa55", scalar.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_NullValue_IsError()
    {
        var error = Assert.Throws<ProviderException>(() => Apply(Secret(key: "nothing"), Document));

        Assert.Equal("Secret db_password (provider vault_main): key nothing selects a JSON null, which has no text to deliver. Set a value at the provider, or select another key.", error.Message);
    }

    [Fact]
    public void Apply_NotJson_NamesSecretAndProviderNeverValue()
    {
        const string value = "plain-text-hunter2 {";

        var error = Assert.Throws<ProviderException>(() => Apply(Secret(key: "password"), value));

        Assert.StartsWith("Secret db_password (provider vault_main): the value is not valid JSON (invalid at line 1, byte 1), so key password cannot be selected from it.", error.Message, StringComparison.Ordinal);
        Assert.Null(error.InnerException);
        Assert.DoesNotContain("hunter2", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("'p'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_JsonNotObject_IsErrorForKey()
    {
        var error = Assert.Throws<ProviderException>(() => Apply(Secret(key: "password"), "[\"hunter2-value\"]"));

        Assert.Contains("the value is a JSON array, not an object, so it has no key password", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_DuplicateKeys_IsError()
    {
        var error = Assert.Throws<ProviderException>(() => Apply(Secret(key: "password"), """{"password": "a", "password": "b"}"""));

        Assert.Contains("is not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_BinaryValue_IsErrorForKey()
    {
        using var payload = new SecretPayload("v1", Encoding.UTF8.GetBytes("""{"password": "x"}"""), isText: false);

        var error = Assert.Throws<ProviderException>(() => SecretValueSelector.Apply(Secret(key: "password"), payload));

        Assert.Contains("the value is binary", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Apply_NoSelection_CopiesWholeValue()
    {
        byte[] raw = [0x00, 0xFF, 0x0A, (byte)'x'];
        using var payload = new SecretPayload("v7", raw, isText: false);

        using SecretPayload result = SecretValueSelector.Apply(Secret(), payload);

        Assert.Equal(raw, result.Value);
        Assert.NotSame(raw, result.Value);
        Assert.False(result.IsText);
    }

    [Fact]
    public void Apply_ByteOrderMark_IsSkipped()
    {
        byte[] raw = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("""{"password": "p"}""")];
        using var payload = new SecretPayload("v1", raw, isText: true);

        using SecretPayload result = SecretValueSelector.Apply(Secret(key: "password"), payload);

        Assert.Equal("p", Encoding.UTF8.GetString(result.Value));
    }

    [Fact]
    public void Apply_SameObjectAnyKeyOrder_SameText()
    {
        using SecretPayload first = Apply(Secret(key: "o"), """{"o": {"b": 1, "a": {"d": 2, "c": 3}}}""");
        using SecretPayload second = Apply(Secret(key: "o"), """{"o": {"a": {"c": 3, "d": 2}, "b": 1}}""");

        Assert.Equal(first.Value, second.Value);
        Assert.Equal("{\"a\":{\"c\":3,\"d\":2},\"b\":1}", Encoding.UTF8.GetString(first.Value));
    }

    [Fact]
    public void Describe_Selections_AsWrittenInConfig()
    {
        Assert.Equal("key tls.crt", SecretValueSelector.Describe(Secret(key: "tls.crt")));
        Assert.Equal("key_path [db, password]", SecretValueSelector.Describe(Secret(keyPath: ["db", "password"])));
        Assert.Equal("the whole value", SecretValueSelector.Describe(Secret()));
    }

    private static SecretPayload Apply(SecretConfig secret, string json)
    {
        using var payload = new SecretPayload("v1", Encoding.UTF8.GetBytes(json), isText: true);
        return SecretValueSelector.Apply(secret, payload);
    }

    private static SecretConfig Secret(string? key = null, IReadOnlyList<string>? keyPath = null) => new()
    {
        Name = "db_password",
        Provider = "vault_main",
        Path = "shop/db",
        Key = key,
        KeyPath = keyPath,
        Inject = new InjectConfig(),
        Targets = new TargetsConfig { Containers = ["web"] },
        Rotation = new RotationConfig(),
    };
}
