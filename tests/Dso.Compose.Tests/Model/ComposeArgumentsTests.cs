using Dso.Compose.Model;
using Dso.Core;

namespace Dso.Compose.Tests.Model;

public sealed class ComposeArgumentsTests
{
    [Fact]
    public void Parse_FileOptionForms_KeepsOrder()
    {
        ComposeArguments arguments = ComposeArguments.Parse(["-f", "a.yml", "--file=b.yml", "-fc.yml", "--file", "d.yml"]);

        Assert.Equal(["a.yml", "b.yml", "c.yml", "d.yml"], arguments.Files);
        Assert.Empty(arguments.Remaining);
    }

    [Fact]
    public void Parse_ProjectOptions_AreTakenOut()
    {
        ComposeArguments arguments = ComposeArguments.Parse(
            ["-p", "shop", "--project-directory", "/srv/shop", "--env-file", "prod.env", "--env-file=extra.env", "--profile", "debug", "--profile=tools"]);

        Assert.Equal("shop", arguments.ProjectName);
        Assert.Equal("/srv/shop", arguments.ProjectDirectory);
        Assert.Equal(["prod.env", "extra.env"], arguments.EnvFiles);
        Assert.Equal(["debug", "tools"], arguments.Profiles);
        Assert.Empty(arguments.Remaining);
    }

    [Theory]
    [InlineData("-pshop")]
    [InlineData("--project-name=shop")]
    public void Parse_ProjectNameGlued_IsTakenOut(string option)
    {
        ComposeArguments arguments = ComposeArguments.Parse([option]);

        Assert.Equal("shop", arguments.ProjectName);
    }

    [Fact]
    public void Parse_UpOptions_PassThroughInOrder()
    {
        ComposeArguments arguments = ComposeArguments.Parse(
            ["-f", "compose.yml", "-d", "--force-recreate", "-t", "5", "-p", "shop", "--scale", "api=2", "api", "db"]);

        Assert.Equal(["-d", "--force-recreate", "-t", "5", "--scale", "api=2", "api", "db"], arguments.Remaining);
        Assert.Equal(["compose.yml"], arguments.Files);
        Assert.Equal("shop", arguments.ProjectName);
    }

    [Fact]
    public void Parse_DoubleDash_PassesRestThrough()
    {
        ComposeArguments arguments = ComposeArguments.Parse(["-d", "--", "-f", "x"]);

        Assert.Equal(["-d", "--", "-f", "x"], arguments.Remaining);
        Assert.Empty(arguments.Files);
    }

    [Fact]
    public void Parse_NoArguments_ReturnsEmpty()
    {
        ComposeArguments arguments = ComposeArguments.Parse([]);

        Assert.Empty(arguments.Files);
        Assert.Null(arguments.ProjectName);
        Assert.Null(arguments.ProjectDirectory);
        Assert.Empty(arguments.EnvFiles);
        Assert.Empty(arguments.Profiles);
        Assert.Empty(arguments.Remaining);
    }

    [Theory]
    [InlineData("-f")]
    [InlineData("--file")]
    [InlineData("-p")]
    [InlineData("--project-directory")]
    [InlineData("--env-file")]
    [InlineData("--profile")]
    public void Parse_OptionWithoutValue_ThrowsUsageError(string option)
    {
        var exception = Assert.Throws<DsoException>(() => ComposeArguments.Parse(["-d", option]));

        Assert.Equal(2, exception.ExitCode);
        Assert.Contains(option, exception.Message, StringComparison.Ordinal);
    }
}
