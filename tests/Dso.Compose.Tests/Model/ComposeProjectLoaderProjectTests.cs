using Dso.Compose.Model;

namespace Dso.Compose.Tests.Model;

/// <summary>Project-level rules of the loader: files, project directory, project name and profiles.</summary>
public sealed class ComposeProjectLoaderProjectTests : IDisposable
{
    private const string OneService = """
        services:
          app:
            image: dso-busybox:latest
        """;

    private readonly ComposeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Load_InactiveProfile_SkipsServiceAndItsSecrets()
    {
        _directory.Write("compose.yml", """
            services:
              app:
                environment:
                  TOKEN: dso://app/token
              debug:
                profiles: [debug]
                environment:
                  TOKEN: dso://debug/token
            """);

        ComposeProject project = _directory.Load();

        Assert.Equal(["app"], project.Services.Select(service => service.Service));
    }

    [Fact]
    public void Load_ProfileOption_ActivatesService()
    {
        _directory.Write("compose.yml", """
            services:
              debug:
                profiles: [debug, tools]
                environment:
                  TOKEN: dso://debug/token
              other:
                profiles: [other]
            """);

        ComposeProject project = _directory.Load("--profile", "tools");

        Assert.Equal(["debug"], project.Services.Select(service => service.Service));
        Assert.Equal("debug/token", project.ReferencesOf("debug")["TOKEN"].SecretName);
    }

    [Fact]
    public void Load_TargetedServiceWithProfile_IsActive()
    {
        // Compose starts a service named on the command line whatever its profiles, and enables those profiles for
        // the services it depends on (docker-compose 1.29.2, Project.get_services).
        _directory.Write("compose.yml", """
            services:
              debug:
                profiles: [debug]
                depends_on: [helper]
                environment:
                  TOKEN: dso://debug/token
              helper:
                profiles: [debug]
                environment:
                  TOKEN: dso://helper/token
              other:
                profiles: [other]
                environment:
                  TOKEN: dso://other/token
            """);

        ComposeProject project = _directory.Load("-d", "--timeout", "5", "debug");

        Assert.Equal(["debug", "helper"], project.Services.Select(service => service.Service));
        Assert.Equal("debug/token", project.ReferencesOf("debug")["TOKEN"].SecretName);
    }

    [Fact]
    public void Load_ComposeProfilesVariable_ActivatesServices()
    {
        _directory.Write(".env", "COMPOSE_PROFILES=tools\n");
        _directory.Environment["COMPOSE_PROFILES"] = "debug, other";
        _directory.Write("compose.yml", """
            services:
              debug:
                profiles: [debug]
              other:
                profiles: [other]
              tools:
                profiles: [tools]
            """);

        ComposeProject project = _directory.Load();

        Assert.Equal(["debug", "other"], project.Services.Select(service => service.Service));
    }

    [Fact]
    public void Load_ComposeProfilesInDotEnv_ActivatesService()
    {
        _directory.Write(".env", "COMPOSE_PROFILES=tools\n");
        _directory.Write("compose.yml", """
            services:
              tools:
                profiles: [tools]
            """);

        ComposeProject project = _directory.Load();

        Assert.Equal(["tools"], project.Services.Select(service => service.Service));
    }

    [Fact]
    public void Load_ProjectNameOption_WinsOverEverything()
    {
        _directory.Environment["COMPOSE_PROJECT_NAME"] = "from-shell";
        _directory.Write(".env", "COMPOSE_PROJECT_NAME=from-dotenv\n");
        _directory.Write("compose.yml", "name: from-file\n" + OneService);

        ComposeProject project = _directory.Load("-p", "From_Option");

        Assert.Equal("from_option", project.Name);
    }

    [Fact]
    public void Load_DotEnvProjectName_NamesProject()
    {
        _directory.Write(".env", "COMPOSE_PROJECT_NAME=from-dotenv\n");
        _directory.Write("compose.yml", "name: from-file\n" + OneService);

        ComposeProject project = _directory.Load();

        Assert.Equal("from-dotenv", project.Name);
    }

    [Fact]
    public void Load_ShellProjectName_WinsOverDotEnv()
    {
        _directory.Environment["COMPOSE_PROJECT_NAME"] = "from-shell";
        _directory.Write(".env", "COMPOSE_PROJECT_NAME=from-dotenv\n");
        _directory.Write("compose.yml", OneService);

        ComposeProject project = _directory.Load();

        Assert.Equal("from-shell", project.Name);
    }

    [Fact]
    public void Load_TopLevelName_NamesProject()
    {
        _directory.Write("compose.yml", "name: From-File\n" + OneService);

        ComposeProject project = _directory.Load();

        Assert.Equal("from-file", project.Name);
    }

    [Fact]
    public void Load_NoName_NormalisesDirectoryBasename()
    {
        _directory.Write("My.Shop Project_2/compose.yml", OneService);

        ComposeProject project = _directory.Load("-f", "My.Shop Project_2/compose.yml");

        Assert.Equal("myshopproject_2", project.Name);
        Assert.Equal(_directory.PathOf("My.Shop Project_2"), project.Directory);
    }

    [Fact]
    public void Load_ProjectDirectoryOption_NamesProjectAfterIt()
    {
        _directory.Write("files/compose.yml", OneService);
        Directory.CreateDirectory(_directory.PathOf("Shop"));

        ComposeProject project = _directory.Load("-f", "files/compose.yml", "--project-directory", "Shop");

        Assert.Equal("shop", project.Name);
        Assert.Equal(_directory.PathOf("Shop"), project.Directory);
    }

    [Fact]
    public void NormalizeProjectName_NoAlphanumeric_Throws()
    {
        var exception = Assert.Throws<Dso.Core.DsoException>(() => ComposeProjectLoader.NormalizeProjectName("_.-"));

        Assert.Equal(2, exception.ExitCode);
        Assert.Contains("-p NAME", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NoFileOption_SearchesParents()
    {
        string main = _directory.Write("docker-compose.yml", OneService);
        string overrideFile = _directory.Write("docker-compose.override.yml", OneService);
        Directory.CreateDirectory(_directory.PathOf("src/deeper"));

        ComposeProject project = _directory.LoadFrom(_directory.PathOf("src/deeper"));

        Assert.Equal([main, overrideFile], project.Files);
        Assert.Equal(_directory.Root, project.Directory);
    }

    [Fact]
    public void Load_VersionKey_ComesFromFirstFile()
    {
        _directory.Write("compose.yml", OneService);
        _directory.Write("compose.v.yml", "version: '3.8'\n" + OneService);

        ComposeProject project = _directory.Load("-f", "compose.yml", "-f", "compose.v.yml");

        Assert.Equal("3.8", project.Version);
    }
}
