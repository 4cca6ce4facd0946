using Dso.Compose.Env;

namespace Dso.Compose.Tests.Env;

public class InterpolatorTests
{
    private const string Location = "docker-compose.yml, service web, environment.DB";

    private static readonly Dictionary<string, string> Variables = new(StringComparer.Ordinal)
    {
        ["SET"] = "value",
        ["EMPTY"] = "",
        ["OTHER"] = "other",
    };

    public static TheoryData<string, string> Templates => new()
    {
        // Plain references.
        { "$SET", "value" },
        { "${SET}", "value" },
        { "pre-${SET}-post", "pre-value-post" },
        { "$SET-x", "value-x" },
        { "$SET_SUFFIX", "" },
        { "${UNSET}", "" },
        { "$UNSET", "" },
        { "no references", "no references" },

        // ${VAR:-default} replaces an unset or empty variable.
        { "${SET:-d}", "value" },
        { "${EMPTY:-d}", "d" },
        { "${UNSET:-d}", "d" },
        { "${UNSET:-}", "" },

        // ${VAR-default} replaces an unset variable only.
        { "${SET-d}", "value" },
        { "${EMPTY-d}", "" },
        { "${UNSET-d}", "d" },

        // ${VAR:+alternative} applies to a set, non-empty variable.
        { "${SET:+alt}", "alt" },
        { "${EMPTY:+alt}", "" },
        { "${UNSET:+alt}", "" },

        // ${VAR+alternative} applies to a set variable, even an empty one.
        { "${SET+alt}", "alt" },
        { "${EMPTY+alt}", "alt" },
        { "${UNSET+alt}", "" },

        // ${VAR:?message} and ${VAR?message} pass a value through when it is there.
        { "${SET:?err}", "value" },
        { "${SET?err}", "value" },
        { "${EMPTY?err}", "" },

        // Nesting, and defaults evaluated only when used.
        { "${UNSET:-${OTHER}}", "other" },
        { "${UNSET:-${ALSO_UNSET:-x}}", "x" },
        { "${UNSET:-$OTHER}", "other" },
        { "${UNSET:-a${OTHER}b}", "aotherb" },
        { "${SET:-${UNSET:?never evaluated}}", "value" },
        { "${UNSET:+${UNSET:?never evaluated}}", "" },
        { "${UNSET:-a:b-c?d+e}", "a:b-c?d+e" },
        { "${UNSET:-{x}}", "{x}" },
        { "${SET}${OTHER}", "valueother" },

        // $$ is a literal $.
        { "$$", "$" },
        { "$$SET", "$SET" },
        { "$$$SET", "$value" },
        { "$${SET}", "${SET}" },
        { "${UNSET:-$$}", "$" },

        // Command substitution never runs, and a $ without a name stays.
        { "$(whoami)", "$(whoami)" },
        { "`whoami`", "`whoami`" },
        { "$((1+1))", "$((1+1))" },
        { "cost: 5$", "cost: 5$" },
        { "$1", "$1" },
        { "a $ b", "a $ b" },
        { "}", "}" },
    };

    public static TheoryData<string, string, string> RequiredTemplates => new()
    {
        { "${UNSET:?set UNSET please}", "UNSET", "required variable UNSET is not set or is empty: set UNSET please" },
        { "${EMPTY:?must not be empty}", "EMPTY", "required variable EMPTY is not set or is empty: must not be empty" },
        { "${UNSET?needed}", "UNSET", "required variable UNSET is not set: needed" },
        { "${UNSET:?}", "UNSET", "required variable UNSET is not set or is empty. Set UNSET" },
        { "${UNSET:-${ALSO:?inner message}}", "ALSO", "required variable ALSO is not set or is empty: inner message" },
    };

    public static TheoryData<string, string> InvalidTemplates => new()
    {
        { "${", "'${' at character 1 is not followed by a variable name" },
        { "ab${SET", "'${' at character 3 has no closing '}'" },
        { "${SET:-x", "'${' at character 1 has no closing '}'" },
        { "${SET:", "'${' at character 1 has no closing '}'" },
        { "${SET:-${UNSET}", "'${' at character 1 has no closing '}'" },
        { "${}", "'${' at character 1 is not followed by a variable name" },
        { "${1}", "'${' at character 1 is not followed by a variable name" },
        { "${SET/a/b}", "the reference to SET at character 1 uses an unsupported modifier" },
        { "${SET:x}", "the reference to SET at character 1 uses an unsupported modifier" },
        { "${SET }", "the reference to SET at character 1 uses an unsupported modifier" },
    };

    public static TheoryData<string, bool> ReferenceTexts => new()
    {
        { "", false },
        { "plain", false },
        { "$VAR", true },
        { "${VAR}", true },
        { "prefix ${VAR:-x} suffix", true },
        { "$_UNDERSCORE", true },
        { "$$", false },
        { "$$VAR", false },
        { "$$$VAR", true },
        { "$(whoami)", false },
        { "`id`", false },
        { "5$", false },
        { "$1", false },
        { "${", true },
    };

    [Theory]
    [MemberData(nameof(Templates))]
    public void Interpolate_Template_ReturnsExpectedText(string template, string expected)
    {
        string result = Interpolator.Interpolate(template, Lookup, Location);

        Assert.Equal(expected, result);
    }

    [Theory]
    [MemberData(nameof(RequiredTemplates))]
    public void Interpolate_RequiredVariableMissing_ThrowsWithUserMessage(string template, string variable, string reason)
    {
        var exception = Assert.Throws<InterpolationException>(() => Interpolator.Interpolate(template, Lookup, Location));

        Assert.StartsWith($"{Location}: {reason}", exception.Message, StringComparison.Ordinal);
        Assert.Equal(Location, exception.Location);
        Assert.Equal(variable, exception.VariableName);
    }

    [Fact]
    public void Interpolate_RequiredMessageWithReference_KeepsMessageUnexpanded()
    {
        var exception = Assert.Throws<InterpolationException>(
            () => Interpolator.Interpolate("${UNSET:?compare with $SET}", Lookup, Location));

        Assert.EndsWith("compare with $SET", exception.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("value", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(InvalidTemplates))]
    public void Interpolate_InvalidSyntax_ThrowsNamingPosition(string template, string reason)
    {
        var exception = Assert.Throws<InterpolationException>(() => Interpolator.Interpolate(template, Lookup, Location));

        Assert.StartsWith($"{Location}: invalid interpolation syntax: {reason}", exception.Message, StringComparison.Ordinal);
        Assert.Null(exception.VariableName);
    }

    [Fact]
    public void Interpolate_InvalidSyntaxAfterSecret_MessageOmitsTemplate()
    {
        var exception = Assert.Throws<InterpolationException>(
            () => Interpolator.Interpolate("s3cr3t-password${", Lookup, Location));

        Assert.DoesNotContain("s3cr3t", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Interpolate_UnsetPlainReferences_ReportsEachName()
    {
        var unset = new List<string>();

        string result = Interpolator.Interpolate("$A ${B} ${C:-x} ${D:+y} ${E-z} $SET", Lookup, Location, unset.Add);

        Assert.Equal("  x  z value", result);
        Assert.Equal(["A", "B"], unset);
    }

    [Fact]
    public void Interpolate_UnusedDefault_LooksUpNothingInside()
    {
        var requested = new List<string>();

        Interpolator.Interpolate("${SET:-${INNER}}", name =>
        {
            requested.Add(name);
            return Lookup(name);
        }, Location);

        Assert.Equal(["SET"], requested);
    }

    [Theory]
    [MemberData(nameof(ReferenceTexts))]
    public void ContainsReference_Text_ReturnsExpected(string text, bool expected)
    {
        bool result = Interpolator.ContainsReference(text);

        Assert.Equal(expected, result);
    }

    private static string? Lookup(string name)
    {
        return Variables.GetValueOrDefault(name);
    }
}
