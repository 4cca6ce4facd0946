using Dso.Core;
using Dso.Core.Names;

namespace Dso.Vault.Tests.Names;

public sealed class SecretNameTests
{
    [Theory]
    [InlineData("", "the name is empty")]
    [InlineData("a//b", "empty segment")]
    [InlineData("/a", "empty segment")]
    [InlineData("a/", "empty segment")]
    [InlineData("/", "empty segment")]
    [InlineData("..", "segment \"..\" is not allowed")]
    [InlineData("a/../b", "segment \"..\" is not allowed")]
    [InlineData(".", "segment \".\" is not allowed")]
    [InlineData("a/./b", "segment \".\" is not allowed")]
    [InlineData("a b", "character ' ' is not allowed")]
    [InlineData("a\\b", "character '\\' is not allowed")]
    [InlineData("a:b", "character ':' is not allowed")]
    [InlineData("caf\u00e9", "character '\u00e9' is not allowed")]
    public void Validate_InvalidName_ThrowsUsageErrorWithReason(string name, string reason)
    {
        var exception = Assert.Throws<DsoException>(() => SecretName.Validate(name));

        Assert.Equal(2, exception.ExitCode);
        Assert.Contains($"Invalid secret name \"{name}\"", exception.Message, StringComparison.Ordinal);
        Assert.Contains(reason, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NameLongerThan255_ThrowsUsageError()
    {
        string name = new('a', SecretName.MaxLength + 1);

        var exception = Assert.Throws<DsoException>(() => SecretName.Validate(name));

        Assert.Contains("longer than 255 characters", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a\nb", "\"a\\u000ab\"")]
    [InlineData("a\rb", "\"a\\u000db\"")]
    [InlineData("a\tb", "\"a\\u0009b\"")]
    [InlineData("\0", "\"\\u0000\"")]
    [InlineData("app/\u001b[31mred", "\"app/\\u001b[31mred\"")]
    [InlineData("a\u007fb", "\"a\\u007fb\"")]
    [InlineData("a\u0085b", "\"a\\u0085b\"")]
    public void Validate_ControlCharacter_MessageShowsNameWithCharacterEscaped(string name, string quoted)
    {
        var exception = Assert.Throws<DsoException>(() => SecretName.Validate(name));

        Assert.Contains($"Invalid secret name {quoted}: it contains a control character", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(name, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("myapp/db/password")]
    [InlineData("A_b-c.d")]
    [InlineData("a")]
    [InlineData("..a/b..")]
    [InlineData("x/.env")]
    public void Validate_ValidName_DoesNotThrow(string name)
    {
        SecretName.Validate(name);

        Assert.True(SecretName.IsValid(name));
    }

    [Fact]
    public void Validate_NameOf255Characters_DoesNotThrow()
    {
        string name = new('a', SecretName.MaxLength);

        SecretName.Validate(name);

        Assert.True(SecretName.IsValid(name));
    }

    [Fact]
    public void Quote_RightToLeftOverride_IsEscaped()
    {
        string quoted = SecretName.Quote("app/\u202Etxt.exe");

        Assert.Equal("\"app/\\u202etxt.exe\"", quoted);
    }
}
