using System.Text;
using System.Text.RegularExpressions;
using Dso.Agent.Providers.Azure;

namespace Dso.Agent.Tests.Providers.Azure;

public sealed partial class AzureSecretNamesTests
{
    /// <summary>
    /// Characters the random paths are drawn from: letters in both cases, the separators dso paths use, the
    /// escape's own '-', and characters of several UTF-8 bytes (é and É must not collide, as their bytes differ).
    /// </summary>
    private const string Alphabet = "abAB019-_./ -@:ßéÉ€😀";

    public static TheoryData<string, string> Examples => new()
    {
        { "db-password", "db-password" },
        { "shop/db", "shop--2fdb" },
        { "tls.crt", "tls--2ecrt" },
        { "DB_PASSWORD", "DB--5fPASSWORD" },
        { "a-", "a--2d" },
        { "a--b", "a--2d-b" },
        { "-a", "-a" },
        { "é", "--c3--a9" },
    };

    [Theory]
    [MemberData(nameof(Examples))]
    public void ToKeyVaultName_Example_MapsAsDocumented(string path, string expected)
    {
        string? name = AzureSecretNames.ToKeyVaultName(path, out string? problem);

        Assert.Equal(expected, name);
        Assert.Null(problem);
        Assert.Equal(path, AzureSecretNames.FromKeyVaultName(expected));
    }

    [Fact]
    public void ToKeyVaultName_RandomPaths_RoundTrip()
    {
        var random = new Random(20261204);
        int mapped = 0;

        for (int i = 0; i < 20_000; i++)
        {
            string path = RandomPath(random, random.Next(1, 30));
            if (AzureSecretNames.ToKeyVaultName(path, out string? problem) is not { } name)
            {
                Assert.Contains("at most 127", problem, StringComparison.Ordinal);
                continue;
            }

            mapped++;
            Assert.Matches(KeyVaultNamePattern(), name);
            Assert.Equal(path, AzureSecretNames.FromKeyVaultName(name));
        }

        Assert.True(mapped > 10_000, $"only {mapped} of 20000 random paths fit in 127 characters");
    }

    [Fact]
    public void FindCollisions_RandomPaths_MatchCaseFolding()
    {
        var random = new Random(7);
        var paths = Enumerable.Range(0, 3_000).Select(_ => RandomPath(random, random.Next(1, 4))).Distinct(StringComparer.Ordinal).ToList();

        IReadOnlyList<(string First, string Second, string KeyVaultName)> collisions = AzureSecretNames.FindCollisions(paths);

        var expected = paths.GroupBy(AsciiUpper, StringComparer.Ordinal).Sum(group => group.Count() - 1);
        Assert.Equal(expected, collisions.Count);
        Assert.True(collisions.Count > 0, "the random sample should contain paths that differ only in case");
        foreach ((string first, string second, string name) in collisions)
        {
            Assert.NotEqual(first, second);
            Assert.Equal(AsciiUpper(first), AsciiUpper(second));
            Assert.Equal(name, AzureSecretNames.ToKeyVaultName(second, out _));
        }
    }

    [Fact]
    public void FindCollisions_SamePathTwice_IsNoCollision()
    {
        Assert.Empty(AzureSecretNames.FindCollisions(["shop/db", "shop/db", "shop/api"]));
    }

    [Fact]
    public void ToKeyVaultName_TooLong_ReturnsProblem()
    {
        string? name = AzureSecretNames.ToKeyVaultName(new string('/', 43), out string? problem);

        Assert.Null(name);
        Assert.Equal("maps to a Key Vault name of 172 characters, and Key Vault allows at most 127", problem);
    }

    [Fact]
    public void ToKeyVaultName_Empty_ReturnsProblem()
    {
        Assert.Null(AzureSecretNames.ToKeyVaultName("", out string? problem));
        Assert.Equal("is empty", problem);
    }

    [Fact]
    public void ToKeyVaultName_LoneSurrogate_ReturnsProblem()
    {
        Assert.Null(AzureSecretNames.ToKeyVaultName("a\ud800b", out string? problem));
        Assert.Equal("is not valid Unicode text", problem);
    }

    [Theory]
    [InlineData("a--b")]
    [InlineData("a-")]
    [InlineData("a--2")]
    [InlineData("a--61")]
    [InlineData("a_b")]
    [InlineData("--ff")]
    public void FromKeyVaultName_NotProducedByMapping_ReturnsNull(string name)
    {
        Assert.Null(AzureSecretNames.FromKeyVaultName(name));
    }

    [Fact]
    public void FromKeyVaultName_UppercaseHex_Accepted()
    {
        Assert.Equal("shop/db", AzureSecretNames.FromKeyVaultName("shop--2Fdb"));
    }

    /// <summary>Upper-cases ASCII letters only, as Key Vault's comparison affects only the letters a mapped name keeps.</summary>
    private static string AsciiUpper(string path) => string.Concat(path.Select(c => char.IsAsciiLetterLower(c) ? char.ToUpperInvariant(c) : c));

    private static string RandomPath(Random random, int length)
    {
        var path = new StringBuilder(length * 2);
        for (int i = 0; i < length; i++)
        {
            int index = random.Next(Alphabet.Length);
            if (char.IsHighSurrogate(Alphabet[index]))
            {
                path.Append(Alphabet, index, 2);
            }
            else if (char.IsLowSurrogate(Alphabet[index]))
            {
                path.Append(Alphabet, index - 1, 2);
            }
            else
            {
                path.Append(Alphabet[index]);
            }
        }

        return path.ToString();
    }

    [GeneratedRegex("^[0-9A-Za-z-]{1,127}$")]
    private static partial Regex KeyVaultNamePattern();
}
