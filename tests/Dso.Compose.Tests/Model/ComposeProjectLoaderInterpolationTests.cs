using Dso.Compose.Model;
using Dso.Compose.References;

namespace Dso.Compose.Tests.Model;

/// <summary>How .env, --env-file and ${VAR} interpolation decide whether a value is a secret reference.</summary>
public sealed class ComposeProjectLoaderInterpolationTests : IDisposable
{
    private readonly ComposeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Load_DotEnvOfProjectDirectory_FillsReferences()
    {
        _directory.Write(".env", "REF=dso://dotenv/token\nSECRET_NAME=shop/key\n");
        _directory.Write("compose.yml", """
            services:
              app:
                environment:
                  TOKEN: ${REF}
                  KEY_FILE: dsofile://${SECRET_NAME}
            """);

        ComposeProject project = _directory.Load();

        Dictionary<string, SecretReference> references = project.ReferencesOf("app");
        Assert.Equal(new SecretReference(InjectionKind.Environment, "dotenv/token", null, null, null), references["TOKEN"]);
        Assert.Equal(new SecretReference(InjectionKind.File, "shop/key", null, null, null), references["KEY_FILE"]);
    }

    [Fact]
    public void Load_WorkingDirectoryDotEnv_IsIgnored()
    {
        // The .env file is read from the project directory (the folder of the first compose file), not from the
        // working directory the command runs in.
        _directory.Write("elsewhere/.env", "REF=dso://working-directory/token\n");
        _directory.Write("project/.env", "REF=dso://project/token\n");
        _directory.Write("project/compose.yml", """
            services:
              app:
                environment:
                  TOKEN: ${REF}
            """);

        ComposeProject project = _directory.LoadFrom(_directory.PathOf("elsewhere"), "-f", "../project/compose.yml");

        Assert.Equal("project/token", project.ReferencesOf("app")["TOKEN"].SecretName);
    }

    [Fact]
    public void Load_EnvFileOption_ReplacesDotEnv()
    {
        _directory.Write(".env", "REF=dso://dotenv/token\nONLY_IN_DOTENV=dso://dotenv/only\n");
        _directory.Write("config/prod.env", "REF=dso://prod/token\n");
        _directory.Write("compose.yml", """
            services:
              app:
                environment:
                  TOKEN: ${REF}
                  OTHER: ${ONLY_IN_DOTENV:-plain}
            """);

        ComposeProject project = _directory.Load("--env-file", "config/prod.env");

        Assert.Equal(["TOKEN"], project.ReferencesOf("app").Keys);
        Assert.Equal("prod/token", project.ReferencesOf("app")["TOKEN"].SecretName);
    }

    [Fact]
    public void Load_ProcessEnvironment_WinsOverDotEnv()
    {
        _directory.Environment["REF"] = "dso://shell/token";
        _directory.Write(".env", "REF=dso://dotenv/token\n");
        _directory.Write("compose.yml", """
            services:
              app:
                environment:
                  TOKEN: ${REF}
            """);

        ComposeProject project = _directory.Load();

        Assert.Equal("shell/token", project.ReferencesOf("app")["TOKEN"].SecretName);
    }

    [Fact]
    public void Load_InterpolationForms_ResolveLikeCompose()
    {
        _directory.Write(".env", "SET=dso://set/secret\nEMPTY=\nNAME=named\n");
        _directory.Write("compose.yml", """
            services:
              app:
                environment:
                  BRACED: ${SET}
                  UNBRACED: $SET
                  DEFAULT_UNSET: ${UNSET:-dso://default/secret}
                  DEFAULT_EMPTY: ${EMPTY:-dsofile://default/empty}
                  DASH_EMPTY: ${EMPTY-dso://never/used}
                  ALTERNATIVE: ${SET:+dso://alternative/secret}
                  BUILT: dso://prefix/${NAME}
                  REQUIRED: ${SET:?SET must be set}
            """);

        ComposeProject project = _directory.Load();

        Dictionary<string, SecretReference> references = project.ReferencesOf("app");
        Assert.Equal("set/secret", references["BRACED"].SecretName);
        Assert.Equal("set/secret", references["UNBRACED"].SecretName);
        Assert.Equal("default/secret", references["DEFAULT_UNSET"].SecretName);
        Assert.Equal(new SecretReference(InjectionKind.File, "default/empty", null, null, null), references["DEFAULT_EMPTY"]);
        Assert.False(references.ContainsKey("DASH_EMPTY"));
        Assert.Equal("alternative/secret", references["ALTERNATIVE"].SecretName);
        Assert.Equal("prefix/named", references["BUILT"].SecretName);
        Assert.Equal("set/secret", references["REQUIRED"].SecretName);
    }

    [Fact]
    public void Load_DoubledDollar_IsLiteral()
    {
        _directory.Environment["HOME"] = "dso://would/be/wrong";
        _directory.Write(".env", "REF=dso://dotenv/token\n");
        _directory.Write("compose.yml", """
            services:
              app:
                environment:
                  LITERAL_HOME: $$HOME
                  LITERAL_BRACED: $${REF}
                  REFERENCE: ${REF}
                  QUOTED_LITERAL: "$$REF"
            """);

        ComposeProject project = _directory.Load();

        Assert.Equal(["REFERENCE"], project.ReferencesOf("app").Keys);
    }

    [Fact]
    public void Load_DoubledDollarInList_IsLiteral()
    {
        _directory.Write(".env", "REF=dso://dotenv/token\n");
        _directory.Write("compose.yml", """
            services:
              app:
                environment:
                  - LITERAL=$$REF
                  - REFERENCE=$REF
            """);

        ComposeProject project = _directory.Load();

        Assert.Equal(["REFERENCE"], project.ReferencesOf("app").Keys);
    }

    [Fact]
    public void Load_RequiredVariableMissing_ThrowsWithLocation()
    {
        string file = _directory.Write("compose.yml", """
            services:
              app:
                environment:
                  TOKEN: ${MISSING:?set MISSING to a dso:// reference}
            """);

        var exception = Assert.ThrowsAny<Dso.Core.DsoException>(() => _directory.Load());

        Assert.Contains($"{file}:4", exception.Message, StringComparison.Ordinal);
        Assert.Contains("set MISSING to a dso:// reference", exception.Message, StringComparison.Ordinal);
    }
}
