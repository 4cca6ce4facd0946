using System.Text;
using Dso.Compose.Env;

namespace Dso.Compose.Tests.Env;

public class DotEnvParserTests
{
    private const string SourceName = "/srv/app/.env";

    private const string PemBody =
        "-----BEGIN PRIVATE KEY-----\n"
        + "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n"
        + "q+/z9=abc#def ghi\n"
        + "-----END PRIVATE KEY-----";

    private static readonly Dictionary<string, string> Environment = new(StringComparer.Ordinal)
    {
        ["HOME"] = "/home/me",
        ["EMPTY"] = "",
        ["SHARED"] = "from-environment",
    };

    /// <summary>Rows of (file content, key, expected value) for parsing without any variable from outside.</summary>
    public static TheoryData<string, string, string?> SyntaxRules => new()
    {
        // Comments, blank lines, export and whitespace.
        { "\n# comment\n   # indented comment\n\nA=1\n", "A", "1" },
        { "\t A=1", "A", "1" },
        { "export A=1", "A", "1" },
        { "export\tA=1", "A", "1" },
        { "  export   A=1", "A", "1" },
        { "export=1", "export", "1" },
        { "exportA=1", "exportA", "1" },
        { "  A  =   spaced value   ", "A", "spaced value" },
        { "A: yaml style", "A", "yaml style" },
        { "A.b-c_1[0]=x", "A.b-c_1[0]", "x" },
        { "ÜBER=x", "ÜBER", "x" },

        // Unquoted values: the first '=' splits, and a comment starts at " #".
        { "A=b=c==", "A", "b=c==" },
        { "A=1:B", "A", "1:B" },
        { "A=value # comment", "A", "value" },
        { "A=a#b", "A", "a#b" },
        { "A=http://host/path#fragment", "A", "http://host/path#fragment" },
        { "A=a\t# tab is no comment start", "A", "a\t# tab is no comment start" },
        { "A= # value, as in compose-go", "A", "# value, as in compose-go" },
        { "A=it's \"quoted\" inside", "A", "it's \"quoted\" inside" },
        { "A=a\\nb", "A", "a\\nb" },
        { "A=hello world", "A", "hello world" },

        // Single quotes: literal, except for an escaped single quote.
        { "A='$OTHER ${OTHER} \\n \\\\'", "A", "$OTHER ${OTHER} \\n \\\\" },
        { "A='Let\\'s go!'", "A", "Let's go!" },
        { "A='a # b' # comment", "A", "a # b" },
        { "A='line1\nline2'", "A", "line1\nline2" },
        { "A='say \"hi\"'", "A", "say \"hi\"" },

        // Double quotes: escapes, comments and several lines.
        { "A=\"tab\\tnl\\ncr\\rbs\\\\q\\\"\"", "A", "tab\tnl\ncr\rbs\\q\"" },
        { "A=\"\\a\\b\\f\\v\"", "A", "\a\b\f\v" },
        { "A=\"{\\\"hello\\\": \\\"json\\\"}\"", "A", "{\"hello\": \"json\"}" },
        { "A=\"a\\xb\\'c\"", "A", "a\\xb\\'c" },
        { "A=\"\\0101\"", "A", "A" },
        { "A=\"\\0\"", "A", "\\" },
        { "A=\"a # b\" # comment", "A", "a # b" },
        { "A=\"a\"# comment", "A", "a" },
        { "A=\"a\"   ", "A", "a" },
        { "A=\"  padded  \"", "A", "  padded  " },
        { "A=\"line1\nline2\"\nB=2", "A", "line1\nline2" },
        { "A=\"line1\nline2\"\nB=2", "B", "2" },
        { "A=\"it's\"", "A", "it's" },

        // Empty versus unset.
        { "A=", "A", "" },
        { "A=   ", "A", "" },
        { "A=\"\"", "A", "" },
        { "A=''", "A", "" },
        { "A", "A", null },
        { "A   ", "A", null },
        { "A # comment", "A", null },
        { "export A", "A", null },

        // Line endings.
        { "A=1\r\nB=2\r\n", "A", "1" },
        { "A=1\r\nB=two words \r\n", "B", "two words" },
        { "A=\"l1\r\nl2\"\r\nB=2", "A", "l1\nl2" },
        { "A='l1\r\nl2'\r\n", "A", "l1\nl2" },
    };

    /// <summary>Rows of (file content, key, expected value) with <see cref="Environment"/> as the lookup.</summary>
    public static TheoryData<string, string, string?> InterpolationRules => new()
    {
        { "A=$HOME/data", "A", "/home/me/data" },
        { "A=${HOME}/data", "A", "/home/me/data" },
        { "A=\"${HOME} data\"", "A", "/home/me data" },
        { "A='${HOME}'", "A", "${HOME}" },
        { "B=1\nA=${B}2", "A", "12" },
        { "B=1\nA=\"$B\"", "A", "1" },
        { "A=${MISSING}", "A", "" },
        { "A=${MISSING:-fallback}", "A", "fallback" },
        { "A=${EMPTY:-fallback}", "A", "fallback" },
        { "A=${EMPTY-fallback}", "A", "" },
        { "A=${HOME:+set}", "A", "set" },
        { "A=${MISSING+set}", "A", "" },
        { "A=${MISSING:-${ALSO_MISSING:-nested}}", "A", "nested" },
        { "A=$$HOME", "A", "$HOME" },
        { "A=\"$$HOME\"", "A", "$HOME" },
        { "A=\"\\$HOME\"", "A", "$HOME" },
        { "A=\"\\${HOME}\"", "A", "${HOME}" },
        { "A=\"\\\\$HOME\"", "A", "\\/home/me" },
        { "A=$(whoami)", "A", "$(whoami)" },
        { "A=\"$(whoami)\"", "A", "$(whoami)" },
        { "A=`whoami`", "A", "`whoami`" },
        { "A=\"`whoami`\"", "A", "`whoami`" },
        { "SHARED=from-file\nA=$SHARED", "A", "from-environment" },
        { "B\nA=${B-unset}", "A", "unset" },
        { "B=first\nB=second\nA=$B", "A", "second" },
        { "A=$A", "A", "" },
    };

    /// <summary>Rows of (file content, line of the error, part of the message after the line).</summary>
    public static TheoryData<string, int, string> SyntaxErrors => new()
    {
        { "A=1\nB=\"abc\nC=2\n", 2, "the value of B opens a double quote that is never closed" },
        { "A='abc", 1, "the value of A opens a single quote that is never closed" },
        { "A='C:\\'", 1, "the value of A opens a single quote that is never closed" },
        { "A=\"ends with backslash\\", 1, "the value of A opens a double quote that is never closed" },
        { "A=\"x\" y", 1, "unexpected text after the closing quote of A at column 7" },
        { "\nA=\"x\ny\"z", 3, "unexpected text after the closing quote of A at column 3" },
        { "A=''x", 1, "unexpected text after the closing quote of A at column 5" },
        { "A$B=1", 1, "invalid character in the variable name at column 2" },
        { "1A=x", 1, "invalid character in the variable name at column 1" },
        { "A=1\n  -A=x", 2, "invalid character in the variable name at column 3" },
        { "=x", 1, "the line has no variable name before '='" },
        { "A B=1", 1, "the variable name A is followed by a space and more text at column 3" },
        { "A=1\nA=${B:?B is required}", 2, "value of A: required variable B is not set or is empty: B is required" },
        { "A=\"${B\"", 1, "value of A: invalid interpolation syntax: '${' at character 1 has no closing '}'" },
    };

    [Theory]
    [MemberData(nameof(SyntaxRules))]
    public void Parse_SyntaxRule_ReturnsExpectedValue(string content, string key, string? expected)
    {
        DotEnvDocument document = Parse(content);

        Assert.Equal(expected, ValueOf(document, key));
    }

    [Theory]
    [MemberData(nameof(InterpolationRules))]
    public void Parse_InterpolationRule_ReturnsExpectedValue(string content, string key, string? expected)
    {
        DotEnvDocument document = Parse(content, lookup: name => Environment.GetValueOrDefault(name));

        Assert.Equal(expected, ValueOf(document, key));
    }

    [Theory]
    [MemberData(nameof(SyntaxErrors))]
    public void Parse_InvalidContent_ThrowsNamingLine(string content, int line, string detail)
    {
        var exception = Assert.Throws<DotEnvException>(() => Parse(content));

        Assert.Equal(SourceName, exception.SourceName);
        Assert.Equal(line, exception.Line);
        Assert.StartsWith($"{SourceName}, line {line}", exception.Message, StringComparison.Ordinal);
        Assert.Contains(detail, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("A=\"" + PemBody + "\"\nNEXT=1")]
    [InlineData("A='" + PemBody + "'\nNEXT=1")]
    public void Parse_PemKeyAcrossLines_KeepsLineBreaks(string content)
    {
        DotEnvDocument document = Parse(content);

        Assert.Equal(PemBody, ValueOf(document, "A"));
        Assert.Equal(5, document.Entries.Single(entry => entry.Key == "NEXT").Line);
    }

    [Fact]
    public void Parse_EscapedPemKey_ExpandsLineBreaks()
    {
        string escaped = PemBody.Replace("\n", "\\n", StringComparison.Ordinal);

        DotEnvDocument document = Parse($"A=\"{escaped}\"");

        Assert.Equal(PemBody, ValueOf(document, "A"));
    }

    [Fact]
    public void Parse_ByteOrderMark_IsSkipped()
    {
        byte[] content = [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("A=1\n")];

        DotEnvDocument document = DotEnvParser.Parse(content, SourceName);

        Assert.Equal("A", Assert.Single(document.Entries).Key);
        Assert.Equal("1", document.Entries[0].Value);
    }

    [Fact]
    public void Parse_InvalidUtf8_ThrowsNamingLine()
    {
        byte[] content = [.. Encoding.UTF8.GetBytes("A=1\nB=\"multi\nline "), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("\"\n")];

        var exception = Assert.Throws<DotEnvException>(() => DotEnvParser.Parse(content, SourceName));

        Assert.Equal(3, exception.Line);
        Assert.StartsWith($"{SourceName}, line 3: the file contains bytes that are not valid UTF-8.", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_TruncatedUtf8AtEnd_ThrowsNamingLine()
    {
        byte[] content = [.. Encoding.UTF8.GetBytes("A=1\nB=2\nC="), 0xE2, 0x82];

        var exception = Assert.Throws<DotEnvException>(() => DotEnvParser.Parse(content, SourceName));

        Assert.Equal(3, exception.Line);
    }

    [Fact]
    public void Parse_DuplicateKey_KeepsLastAtItsPosition()
    {
        DotEnvDocument document = Parse("A=1\nB=2\nA=3\n");

        Assert.Equal([new DotEnvEntry("B", "2", 2), new DotEnvEntry("A", "3", 3)], document.Entries);
    }

    [Fact]
    public void Parse_DuplicateKey_WarnsWithBothLines()
    {
        DotEnvDocument document = Parse("A=1\nB=2\nA=3\n");

        DotEnvWarning warning = Assert.Single(document.Warnings);
        Assert.Equal(3, warning.Line);
        Assert.Equal($"{SourceName}, line 3: A is already defined on line 1. The value from line 3 is used.", warning.Message);
    }

    [Fact]
    public void Parse_ThreeDefinitions_WarnsTwice()
    {
        DotEnvDocument document = Parse("A=1\nA=2\nA=3\n");

        Assert.Equal([2, 3], document.Warnings.Select(warning => warning.Line));
        Assert.Contains("line 2: A is already defined on line 1.", document.Warnings[0].Message, StringComparison.Ordinal);
        Assert.Contains("line 3: A is already defined on line 2.", document.Warnings[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_SeveralKeys_KeepsFileOrderAndLines()
    {
        DotEnvDocument document = Parse("# header\nZ=1\n\nexport A=2\nM\n");

        Assert.Equal(
            [new DotEnvEntry("Z", "1", 2), new DotEnvEntry("A", "2", 4), new DotEnvEntry("M", null, 5)],
            document.Entries);
        Assert.Empty(document.Warnings);
    }

    [Fact]
    public void ToDictionary_EmptyAndUnset_KeepsBothApart()
    {
        DotEnvDocument document = Parse("EMPTY=\nUNSET\nA=1\nA=2");

        IReadOnlyDictionary<string, string?> variables = document.ToDictionary();

        Assert.Equal(3, variables.Count);
        Assert.Equal("", variables["EMPTY"]);
        Assert.Null(variables["UNSET"]);
        Assert.Equal("2", variables["A"]);
    }

    [Fact]
    public void Parse_InterpolationDisabled_KeepsReferences()
    {
        DotEnvDocument document = Parse(
            "A=${HOME}\nB=\"\\$x $$ ${A}\"\nC=${MISSING:?never checked}",
            lookup: name => Environment.GetValueOrDefault(name),
            interpolate: false);

        Assert.Equal("${HOME}", ValueOf(document, "A"));
        Assert.Equal("$x $$ ${A}", ValueOf(document, "B"));
        Assert.Equal("${MISSING:?never checked}", ValueOf(document, "C"));
    }

    [Fact]
    public void Parse_UnsetVariable_WarnsWithNameAndLine()
    {
        DotEnvDocument document = Parse("A=1\nB=${MISSING}${ALSO:-x}");

        DotEnvWarning warning = Assert.Single(document.Warnings);
        Assert.Equal(2, warning.Line);
        Assert.Equal(
            $"{SourceName}, line 2, value of B: the variable MISSING is not set, so an empty string was used.",
            warning.Message);
    }

    [Fact]
    public void Parse_RequiredVariableMissing_WrapsInterpolationException()
    {
        var exception = Assert.Throws<DotEnvException>(() => Parse("DB_URL=postgres://${DB_HOST:?set DB_HOST to the database host}"));

        var inner = Assert.IsType<InterpolationException>(exception.InnerException);
        Assert.Equal("DB_HOST", inner.VariableName);
        Assert.Equal(
            $"{SourceName}, line 1, value of DB_URL: required variable DB_HOST is not set or is empty: set DB_HOST to the database host",
            exception.Message);
    }

    [Theory]
    [InlineData("PASSWORD=\"hunter2-secret\" trailing")]
    [InlineData("PASSWORD=hunter2-secret${")]
    [InlineData("PASSWORD=\"hunter2-secret")]
    [InlineData("PASSWORD='hunter2-secret'x")]
    public void Parse_InvalidValue_MessageOmitsValue(string content)
    {
        var exception = Assert.Throws<DotEnvException>(() => Parse(content));

        Assert.Contains("PASSWORD", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", exception.Message, StringComparison.Ordinal);
    }

    private static DotEnvDocument Parse(string content, Func<string, string?>? lookup = null, bool interpolate = true)
    {
        return DotEnvParser.Parse(Encoding.UTF8.GetBytes(content), SourceName, lookup, interpolate);
    }

    private static string? ValueOf(DotEnvDocument document, string key)
    {
        return Assert.Single(document.Entries, entry => entry.Key == key).Value;
    }
}
