using Dso.Cli.Tests.Infrastructure;
using Dso.Compose.Model;
using Dso.Compose.Source;
using Dso.Docker.Compose;

namespace Dso.Cli.Tests.Migration;

/// <summary>
/// Proves, form by form, that dso's reading of a project gives every service the same environment as the
/// installed Compose's own 'config' output, and documents where the two differ.
/// </summary>
public sealed class ComposeCompatibilityTests
{
    private static readonly Dictionary<string, (string File, string Text)[]> Projects = new(StringComparer.Ordinal)
    {
        ["environment mapping"] = [
            (".env", "DB_PASSWORD=p w\nPORT=5432\nEMPTY=\n"),
            ("docker-compose.yml", "services:\n  a:\n    image: x\n    environment:\n      PLAIN: value with spaces\n      DOUBLE: \"x: y # not a comment\"\n      SINGLE: 'it''s'\n      NUMBER: 5432\n      BOOLEAN: \"true\"\n      FROM_ENV: ${DB_PASSWORD}\n      BRACED: pre-${PORT}-post\n      ESCAPED: \"p$$w\"\n      DEFAULTED: ${UNSET_FOR_DSO_TEST:-fallback}\n      BARE_FROM_DOTENV:\n      DB_PASSWORD:\n      EMPTY:\n"),
        ],
        ["environment list with quotes"] = [
            (".env", "TOKEN=tok\n"),
            ("docker-compose.yml", "services:\n  a:\n    image: x\n    environment:\n      - QUOTED=\"kept quotes\"\n      - 'SINGLE=single item'\n      - \"DOUBLE=double item\"\n      - EQUALS=a=b=c\n      - TOKEN\n      - REF=${TOKEN}\n      - ESCAPED='hello $$USER'\n"),
        ],
        ["env_file short form"] = [
            ("base.env", "SHARED=from base\nOVERRIDDEN=from base\nQUOTED=\"double quoted\"\n"),
            ("more.env", "OVERRIDDEN=from more\nSINGLE='x y'\n"),
            ("docker-compose.yml", "services:\n  one:\n    image: x\n    env_file: base.env\n  two:\n    image: x\n    env_file:\n      - base.env\n      - more.env\n    environment:\n      SHARED: from environment\n"),
        ],
        ["anchors aliases and merge keys"] = [
            (".env", "DB_PASSWORD=pw\n"),
            ("docker-compose.yml", "x-common: &common\n  COMMON: c\n  DB_PASSWORD: ${DB_PASSWORD}\nx-more: &more\n  MORE: m\n  COMMON: shadowed\nx-list: &list\n  - LISTED=l\nservices:\n  merged:\n    image: x\n    environment:\n      <<: [*common, *more]\n      OWN: o\n  aliased:\n    image: x\n    environment: *common\n  overriding:\n    image: x\n    environment:\n      <<: *common\n      COMMON: own wins\n  listed:\n    image: x\n    environment: *list\n"),
        ],
        ["extends"] = [
            (".env", "DB_PASSWORD=pw\n"),
            ("common/base.yml", "services:\n  base:\n    image: x\n    environment:\n      FROM_BASE_FILE: b\n      DB_PASSWORD: ${DB_PASSWORD}\n"),
            ("docker-compose.yml", "services:\n  template:\n    image: x\n    environment:\n      FROM_TEMPLATE: t\n      OVERRIDE: template\n  same_file:\n    extends: template\n    environment:\n      OVERRIDE: child\n  other_file:\n    extends:\n      file: common/base.yml\n      service: base\n    environment:\n      CHILD: c\n"),
        ],
        ["multiple files"] = [
            (".env", "DB_PASSWORD=pw\nPROD_PASSWORD=prod\n"),
            ("docker-compose.yml", "services:\n  a:\n    image: x\n    environment:\n      DB_PASSWORD: ${DB_PASSWORD}\n      LEVEL: info\n"),
            ("docker-compose.override.yml", "services:\n  a:\n    environment:\n      DB_PASSWORD: ${PROD_PASSWORD}\n      EXTRA: e\n  b:\n    image: x\n    environment:\n      - ONLY_IN_OVERRIDE=1\n"),
        ],
        ["profiles"] = [
            ("docker-compose.yml", "services:\n  always:\n    image: x\n    environment:\n      A: a\n  debug:\n    image: x\n    profiles: [debug]\n    environment:\n      DEBUG_TOKEN: t\n"),
        ],
    };

    [Theory]
    [InlineData("environment mapping")]
    [InlineData("environment list with quotes")]
    [InlineData("env_file short form")]
    [InlineData("anchors aliases and merge keys")]
    [InlineData("extends")]
    [InlineData("multiple files")]
    [InlineData("profiles")]
    public async Task Reader_AgreesWithComposeConfig(string name)
    {
        using var home = new TestHome();
        var project = new MigrationTestProject(home.Root);
        foreach ((string file, string text) in Projects[name])
        {
            project.Write(file, text);
        }

        (Dictionary<string, Dictionary<string, string?>> dso, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>> compose) = await ReadBothAsync(project);

        Assert.Equal(compose.Keys.Order(StringComparer.Ordinal), dso.Keys.Order(StringComparer.Ordinal));
        foreach ((string service, IReadOnlyDictionary<string, string?> environment) in compose)
        {
            Assert.Equal(environment.Keys.Order(StringComparer.Ordinal), dso[service].Keys.Order(StringComparer.Ordinal));
            foreach ((string variable, string? value) in environment)
            {
                Assert.True(value == dso[service][variable], $"{name}: service {service}, {variable}: Compose gives [{value}], dso reads [{dso[service][variable]}]");
            }
        }
    }

    /// <summary>
    /// docker-compose 1.x reads .env without interpolation and fills ${VAR} in an env_file from the shell only,
    /// where dso (like Compose v2) interpolates both. These are the only differences, and migrate stores Compose's value.
    /// </summary>
    [Fact]
    public async Task Reader_DiffersFromComposeV1OnlyInDotEnvInterpolation()
    {
        using var home = new TestHome();
        var project = new MigrationTestProject(home.Root)
            .Write(".env", "DOLLAR=abc$def\nPLAIN=plain\n")
            .Write("app.env", "FROM_DOTENV=${PLAIN}\nLITERAL=x\n")
            .Write("docker-compose.yml", "services:\n  a:\n    image: x\n    env_file: app.env\n    environment:\n      DOLLAR: ${DOLLAR}\n      SAME: ${PLAIN}\n");
        string version = (await ExternalProcess.RunAsync("docker-compose", ["version", "--short"], TimeSpan.FromMinutes(1))).StandardOutput.Trim();
        Assert.True(version.StartsWith("1.", StringComparison.Ordinal), $"This test records the differences from docker-compose 1.x; Compose {version} is installed, so record its own.");

        (Dictionary<string, Dictionary<string, string?>> dso, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>> compose) = await ReadBothAsync(project);

        var differing = compose["a"].Where(variable => variable.Value != dso["a"][variable.Key]).Select(variable => variable.Key).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["DOLLAR", "FROM_DOTENV"], differing);
        Assert.Equal("abc$def", compose["a"]["DOLLAR"]);
        Assert.Equal("abc", dso["a"]["DOLLAR"]);
    }

    private static async Task<(Dictionary<string, Dictionary<string, string?>> Dso, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>> Compose)> ReadBothAsync(MigrationTestProject project)
    {
        ComposeLayout layout = new ComposeProjectLoader(project.Directory, Environment.GetEnvironmentVariable).ResolveLayout(new ComposeArguments());
        ComposeSource source = ComposeSourceReader.Read(layout);
        Assert.Empty(source.Findings);
        var dso = source.Services.ToDictionary(
            service => service.Name,
            service => service.Effective.ToDictionary(site => site.Variable, site => site.Value, StringComparer.Ordinal),
            StringComparer.Ordinal);

        var request = new ComposeConfigRequest(
            layout.Files,
            layout.ProjectDirectory,
            layout.ProjectName,
            [],
            source.Services.SelectMany(service => service.Profiles).Distinct().ToList(),
            project.Directory);
        IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>> compose =
            await ComposeConfigReader.ReadEnvironmentAsync(ComposeCli.Detect(Environment.GetEnvironmentVariable), request, CancellationToken.None);
        return (dso, compose);
    }
}
