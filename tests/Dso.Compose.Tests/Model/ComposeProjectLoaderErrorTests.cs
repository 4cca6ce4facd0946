using Dso.Core;

namespace Dso.Compose.Tests.Model;

/// <summary>Invalid compose input: each error names the file and the line to fix.</summary>
public sealed class ComposeProjectLoaderErrorTests : IDisposable
{
    private readonly ComposeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Load_InvalidYaml_NamesFileAndLine()
    {
        string file = _directory.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                environment:
                  TOKEN: dso://shop/token: extra
            """);

        var exception = Assert.Throws<DsoException>(() => _directory.Load());

        Assert.Contains(file, exception.Message, StringComparison.Ordinal);
        Assert.Contains("line 5,", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EnvironmentValueMapping_NamesLine()
    {
        string file = _directory.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                environment:
                  PLAIN: value
                  TOKEN:
                    secret: dso://shop/token
            """);

        var exception = Assert.Throws<DsoException>(() => _directory.Load());

        Assert.Contains($"{file}:7", exception.Message, StringComparison.Ordinal);
        Assert.Contains("environment.TOKEN", exception.Message, StringComparison.Ordinal);
        Assert.Contains("mapping", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EnvironmentItemMapping_NamesLine()
    {
        string file = _directory.Write("compose.yml", """
            services:
              app:
                environment:
                  - PLAIN=value
                  - TOKEN: dso://shop/token
            """);

        var exception = Assert.Throws<DsoException>(() => _directory.Load());

        Assert.Contains($"{file}:5", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingEnvFile_NamesLineAndPath()
    {
        string file = _directory.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                env_file:
                  - present.env
                  - missing.env
            """);
        _directory.Write("present.env", "A=1\n");

        var exception = Assert.Throws<DsoException>(() => _directory.Load());

        Assert.Contains($"{file}:6", exception.Message, StringComparison.Ordinal);
        Assert.Contains(_directory.PathOf("missing.env"), exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingRequiredEnvFile_Throws()
    {
        string file = _directory.Write("compose.yml", """
            services:
              app:
                env_file:
                  - path: missing.env
                    required: true
            """);

        var exception = Assert.Throws<DsoException>(() => _directory.Load());

        Assert.Contains($"{file}:4", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dso://../x", "secret name is invalid")]
    [InlineData("dso://shop//token", "secret name is invalid")]
    [InlineData("dso://", "secret name is invalid")]
    [InlineData("dso://shop/token?mode=0400", "dsofile:// references only")]
    [InlineData("dsofile://a?mode=999", "mode must be an octal permission")]
    [InlineData("dsofile://a?mode=01777", "mode must be an octal permission")]
    [InlineData("dsofile://a?uid=root", "uid must be a number")]
    [InlineData("dsofile://a?owner=1", "unknown option")]
    public void Load_InvalidReference_NamesLineAndReason(string reference, string reason)
    {
        string file = _directory.Write("compose.yml", $"""
            services:
              app:
                image: dso-busybox:latest
                environment:
                  PLAIN: value
                  TOKEN: "{reference}"
            """);

        var exception = Assert.Throws<DsoException>(() => _directory.Load());

        Assert.Contains($"{file}:6", exception.Message, StringComparison.Ordinal);
        Assert.Contains(reason, exception.Message, StringComparison.Ordinal);
        Assert.Contains("TOKEN", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_InvalidReferenceInEnvFile_NamesLine()
    {
        _directory.Write("compose.yml", "services:\n  app:\n    env_file: app.env\n");
        string envFile = _directory.Write("app.env", "A=1\nTOKEN=dso://../x\n");

        var exception = Assert.Throws<DsoException>(() => _directory.Load());

        Assert.Contains($"{envFile}:2", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MissingComposeFile_NamesPath()
    {
        var exception = Assert.Throws<DsoException>(() => _directory.Load("-f", "nope.yml"));

        Assert.Contains(_directory.PathOf("nope.yml"), exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_FileFromStandardInput_ThrowsUsageError()
    {
        var exception = Assert.Throws<DsoException>(() => _directory.Load("-f", "-"));

        Assert.Equal(2, exception.ExitCode);
    }

    [Fact]
    public void Load_ServicesNotMapping_NamesFileAndLine()
    {
        string file = _directory.Write("compose.yml", "version: '3.8'\nservices:\n  - app\n");

        var exception = Assert.Throws<DsoException>(() => _directory.Load());

        Assert.Contains($"{file}:3", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_ExtendsCycle_Throws()
    {
        string file = _directory.Write("compose.yml", """
            services:
              a:
                extends: b
              b:
                extends: a
            """);

        var exception = Assert.Throws<DsoException>(() => _directory.Load());

        Assert.Contains(file, exception.Message, StringComparison.Ordinal);
        Assert.Contains("cycle", exception.Message, StringComparison.Ordinal);
    }
}
