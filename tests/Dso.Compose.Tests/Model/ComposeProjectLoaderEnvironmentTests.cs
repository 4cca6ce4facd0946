using Dso.Compose.Model;
using Dso.Compose.References;

namespace Dso.Compose.Tests.Model;

/// <summary>How the loader finds secret references in environment, env_file, anchors, extends and several -f files.</summary>
public sealed class ComposeProjectLoaderEnvironmentTests : IDisposable
{
    private readonly ComposeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Load_EnvironmentMapping_FindsBothKinds()
    {
        string file = _directory.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                environment:
                  PLAIN: hello
                  TOKEN: dso://shop/token
                  KEY_FILE: "dsofile://shop/tls/key"
            """);

        ComposeProject project = _directory.Load();

        Dictionary<string, SecretReference> references = project.ReferencesOf("app");
        Assert.Equal(2, references.Count);
        Assert.Equal(new SecretReference(InjectionKind.Environment, "shop/token", null, null, null), references["TOKEN"]);
        Assert.Equal(new SecretReference(InjectionKind.File, "shop/tls/key", null, null, null), references["KEY_FILE"]);
        SecretUse token = project.Use("app", "TOKEN");
        Assert.Equal(file, token.SourceFile);
        Assert.Equal(6, token.Line);
    }

    [Fact]
    public void Load_EnvironmentList_FindsReferencesWithLines()
    {
        string file = _directory.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                environment:
                  - PLAIN=hello
                  - TOKEN=dso://shop/token
                  - KEY_FILE=dsofile://shop/key?uid=101&gid=102&mode=0440
            """);

        ComposeProject project = _directory.Load();

        Dictionary<string, SecretReference> references = project.ReferencesOf("app");
        Assert.Equal(2, references.Count);
        Assert.Equal(InjectionKind.Environment, references["TOKEN"].Kind);
        Assert.Equal(new SecretReference(InjectionKind.File, "shop/key", 101, 102, (UnixFileMode)0x120), references["KEY_FILE"]);
        Assert.Equal(file, project.Use("app", "KEY_FILE").SourceFile);
        Assert.Equal(7, project.Use("app", "KEY_FILE").Line);
    }

    [Fact]
    public void Load_QuotedListValue_IsNotReference()
    {
        // Compose keeps quotes inside a list item as part of the value. The container would see "dso://x" with its
        // quotes, which is not a reference.
        _directory.Write("compose.yml", """
            services:
              app:
                environment:
                  - QUOTED="dso://shop/token"
                  - SINGLE='dsofile://shop/key'
                  - "WHOLE=dso://shop/whole"
            """);

        ComposeProject project = _directory.Load();

        Dictionary<string, SecretReference> references = project.ReferencesOf("app");
        Assert.Equal(["WHOLE"], references.Keys);
        Assert.Equal("shop/whole", references["WHOLE"].SecretName);
    }

    [Fact]
    public void Load_VariableWithoutValue_TakesReferenceFromEnvironment()
    {
        _directory.Environment["FROM_SHELL"] = "dso://shell/secret";
        _directory.Write(".env", "FROM_DOTENV=dsofile://dotenv/secret\n");
        _directory.Write("compose.yml", """
            services:
              app:
                environment:
                  - FROM_SHELL
                  - FROM_DOTENV
                  - UNSET
              api:
                environment:
                  FROM_SHELL:
            """);

        ComposeProject project = _directory.Load();

        Dictionary<string, SecretReference> app = project.ReferencesOf("app");
        Assert.Equal(2, app.Count);
        Assert.Equal("shell/secret", app["FROM_SHELL"].SecretName);
        Assert.Equal(InjectionKind.File, app["FROM_DOTENV"].Kind);
        Assert.Equal("shell/secret", project.ReferencesOf("api")["FROM_SHELL"].SecretName);
    }

    [Fact]
    public void Load_EnvFileShortForm_FindsReferences()
    {
        string envFile = _directory.Write("config/app.env", "# secrets\nPLAIN=1\nTOKEN=dso://shop/token\n");
        _directory.Write("compose.yml", """
            services:
              app:
                env_file: config/app.env
            """);

        ComposeProject project = _directory.Load();

        SecretUse token = project.Use("app", "TOKEN");
        Assert.Equal("shop/token", token.Reference.SecretName);
        Assert.Equal(envFile, token.SourceFile);
        Assert.Equal(3, token.Line);
    }

    [Fact]
    public void Load_OptionalEnvFileMissing_IsSkipped()
    {
        _directory.Write("present.env", "TOKEN=dso://shop/token\n");
        _directory.Write("compose.yml", """
            services:
              app:
                env_file:
                  - path: ./missing.env
                    required: false
                  - path: ./present.env
                    required: true
            """);

        ComposeProject project = _directory.Load();

        Assert.Equal("shop/token", project.ReferencesOf("app")["TOKEN"].SecretName);
    }

    [Fact]
    public void Load_LaterSources_OverrideEarlier()
    {
        _directory.Write("first.env", "A=dso://first/a\nB=dso://first/b\nC=dso://first/c\n");
        _directory.Write("second.env", "B=dso://second/b\nC=dso://second/c\n");
        _directory.Write("compose.yml", """
            services:
              app:
                env_file: [first.env, second.env]
                environment:
                  C: not-a-secret-any-more
            """);

        ComposeProject project = _directory.Load();

        Dictionary<string, SecretReference> references = project.ReferencesOf("app");
        Assert.Equal("first/a", references["A"].SecretName);
        Assert.Equal("second/b", references["B"].SecretName);
        Assert.False(references.ContainsKey("C"));
    }

    [Fact]
    public void Load_EnvFileBareKey_ReadsDotEnv()
    {
        // docker-compose 1.29.2 fills a bare KEY line of an env_file from the shell environment and the project's
        // .env alike (checked with docker-compose config).
        _directory.Write(".env", "TOKEN=dso://dotenv/token\n");
        _directory.Write("app.env", "TOKEN\n");
        _directory.Write("compose.yml", """
            services:
              app:
                env_file: app.env
            """);

        ComposeProject project = _directory.Load();

        Assert.Equal("dotenv/token", project.ReferencesOf("app")["TOKEN"].SecretName);
    }

    [Fact]
    public void Load_AnchorWithMergeKey_ServiceKeysWin()
    {
        _directory.Write("compose.yml", """
            x-app: &app
              image: dso-busybox:latest
              user: "1000:1000"
              environment:
                FROM_ANCHOR: dso://anchor/secret

            services:
              inherits:
                <<: *app
              replaces:
                <<: *app
                user: "2000:2000"
                environment:
                  OWN: dso://own/secret
            """);

        ComposeProject project = _directory.Load();

        Assert.Equal("anchor/secret", project.ReferencesOf("inherits")["FROM_ANCHOR"].SecretName);
        Assert.Equal("1000:1000", project.Service("inherits").User);
        Assert.Equal("dso-busybox:latest", project.Service("inherits").Image);

        // A merge key is shallow: the service's own environment replaces the anchor's whole mapping.
        Assert.Equal(["OWN"], project.ReferencesOf("replaces").Keys);
        Assert.Equal("2000:2000", project.Service("replaces").User);
    }

    [Fact]
    public void Load_ListOfMergeKeys_EarlierMappingWins()
    {
        _directory.Write("compose.yml", """
            x-first: &first
              user: "1000:1000"
              environment:
                FIRST: dso://first/secret
            x-second: &second
              user: "2000:2000"
              image: second-image
              environment:
                SECOND: dso://second/secret

            services:
              app:
                <<: [*first, *second]
            """);

        ComposeProject project = _directory.Load();

        ServiceSecrets app = project.Service("app");
        Assert.Equal("1000:1000", app.User);
        Assert.Equal("second-image", app.Image);
        Assert.Equal(["FIRST"], project.ReferencesOf("app").Keys);
    }

    [Fact]
    public void Load_AnchoredEnvironmentMapping_MergesIntoEnvironment()
    {
        _directory.Write("compose.yml", """
            x-secrets: &secrets
              SHARED: dso://shared/secret
              OVERRIDDEN: dso://shared/overridden

            services:
              app:
                environment:
                  <<: *secrets
                  OVERRIDDEN: dso://app/overridden
            """);

        ComposeProject project = _directory.Load();

        Dictionary<string, SecretReference> references = project.ReferencesOf("app");
        Assert.Equal("shared/secret", references["SHARED"].SecretName);
        Assert.Equal("app/overridden", references["OVERRIDDEN"].SecretName);
    }

    [Fact]
    public void Load_ExtendsSameFile_InheritsAndOverridesEnvironment()
    {
        _directory.Write("compose.yml", """
            services:
              base:
                image: dso-busybox:latest
                user: "1000:1000"
                environment:
                  INHERITED: dso://base/inherited
                  OVERRIDDEN: dso://base/overridden
              app:
                extends: base
                environment:
                  OVERRIDDEN: dsofile://app/overridden
                  OWN: dso://app/own
            """);

        ComposeProject project = _directory.Load();

        Dictionary<string, SecretReference> references = project.ReferencesOf("app");
        Assert.Equal(3, references.Count);
        Assert.Equal("base/inherited", references["INHERITED"].SecretName);
        Assert.Equal(new SecretReference(InjectionKind.File, "app/overridden", null, null, null), references["OVERRIDDEN"]);
        Assert.Equal("app/own", references["OWN"].SecretName);
        Assert.Equal("1000:1000", project.Service("app").User);
    }

    [Fact]
    public void Load_ExtendsOtherFile_ReadsBaseService()
    {
        string baseFile = _directory.Write("common/base.yml", """
            services:
              web:
                image: dso-busybox:latest
                env_file: web.env
                environment:
                  FROM_BASE: dso://base/secret
            """);
        string envFile = _directory.Write("common/web.env", "FROM_BASE_ENV_FILE=dso://base/env-file\n");
        _directory.Write("compose.yml", """
            services:
              app:
                extends:
                  file: common/base.yml
                  service: web
                environment:
                  OWN: dso://app/own
            """);

        ComposeProject project = _directory.Load();

        Dictionary<string, SecretReference> references = project.ReferencesOf("app");
        Assert.Equal(3, references.Count);
        Assert.Equal(baseFile, project.Use("app", "FROM_BASE").SourceFile);
        Assert.Equal(envFile, project.Use("app", "FROM_BASE_ENV_FILE").SourceFile);
        Assert.Equal("app/own", references["OWN"].SecretName);
        Assert.Equal("dso-busybox:latest", project.Service("app").Image);
        Assert.DoesNotContain(project.Services, service => service.Service == "web");
    }

    [Fact]
    public void Load_TwoFiles_LaterFileWinsPerVariable()
    {
        string first = _directory.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
                user: "1000:1000"
                environment:
                  KEPT: dso://first/kept
                  REPLACED: dso://first/replaced
                  CLEARED: dso://first/cleared
            """);
        string second = _directory.Write("compose.prod.yml", """
            services:
              app:
                environment:
                  - REPLACED=dsofile://second/replaced
                  - CLEARED=plain
                  - ADDED=dso://second/added
              worker:
                image: dso-busybox:latest
                environment:
                  WORKER: dso://second/worker
            """);

        ComposeProject project = _directory.Load("-f", "compose.yml", "-f", "compose.prod.yml");

        Assert.Equal([first, second], project.Files);
        Dictionary<string, SecretReference> app = project.ReferencesOf("app");
        Assert.Equal(3, app.Count);
        Assert.Equal("first/kept", app["KEPT"].SecretName);
        Assert.Equal(new SecretReference(InjectionKind.File, "second/replaced", null, null, null), app["REPLACED"]);
        Assert.Equal("second/added", app["ADDED"].SecretName);
        Assert.Equal(second, project.Use("app", "REPLACED").SourceFile);
        Assert.Equal("1000:1000", project.Service("app").User);
        Assert.Equal(["app", "worker"], project.Services.Select(service => service.Service));
    }

    [Fact]
    public void Load_SecondFilePaths_UseProjectDirectory()
    {
        // Compose resolves relative paths of every -f file against the project directory, not against the folder
        // of the file that names them (docker-compose 1.29.2, checked with docker-compose config).
        _directory.Write("compose.yml", """
            services:
              app:
                image: dso-busybox:latest
            """);
        _directory.Write("overrides/prod.yml", """
            services:
              app:
                env_file: ./prod.env
              other:
                extends:
                  file: ./base.yml
                  service: base
            """);
        _directory.Write("prod.env", "TOKEN=dso://project/token\n");
        _directory.Write("overrides/prod.env", "TOKEN=dso://overrides/token\n");
        _directory.Write("base.yml", "services:\n  base:\n    environment:\n      BASE: dso://project/base\n");
        _directory.Write("overrides/base.yml", "services:\n  base:\n    environment:\n      BASE: dso://overrides/base\n");

        ComposeProject project = _directory.Load("-f", "compose.yml", "-f", "overrides/prod.yml");

        Assert.Equal("project/token", project.ReferencesOf("app")["TOKEN"].SecretName);
        Assert.Equal("project/base", project.ReferencesOf("other")["BASE"].SecretName);
    }

    [Fact]
    public void Load_ProjectDirectoryOption_LocatesEnvFile()
    {
        _directory.Write("files/compose.yml", """
            services:
              app:
                env_file: app.env
            """);
        _directory.Write("files/app.env", "TOKEN=dso://files/token\n");
        _directory.Write("project/app.env", "TOKEN=dso://project/token\n");

        ComposeProject project = _directory.Load("-f", "files/compose.yml", "--project-directory", "project");

        Assert.Equal(_directory.PathOf("project"), project.Directory);
        Assert.Equal("project/token", project.ReferencesOf("app")["TOKEN"].SecretName);
    }
}
