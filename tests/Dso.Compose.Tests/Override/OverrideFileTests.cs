using Dso.Compose.Model;
using Dso.Compose.Override;
using Dso.Compose.References;
using YamlDotNet.RepresentationModel;

namespace Dso.Compose.Tests.Override;

public sealed class OverrideFileTests
{
    private const string HostRoot = "/dev/shm/dso-0/shop";

    [Fact]
    public void Build_EnvironmentReference_WritesPlaceholderNotValue()
    {
        ComposeProject project = Project(null, Service("api", Use("api", "TOKEN", "dso://shop/token")));

        OverrideFile result = Build(project);

        YamlMappingNode api = ServiceNode(result, "api");
        Assert.Equal("${DSO_VALUE_0}", Scalar(api, "environment", "TOKEN"));
        Assert.Equal(new Dictionary<string, string> { ["DSO_VALUE_0"] = "shop/token" }, result.Placeholders);
        Assert.False(api.Children.ContainsKey(new YamlScalarNode("volumes")));
    }

    [Fact]
    public void Build_FileReference_MountsReadOnly()
    {
        ComposeProject project = Project(null, Service("db", Use("db", "PASSWORD_FILE", "dsofile://shop/db/password?mode=0440")));

        OverrideFile result = Build(project);

        YamlMappingNode db = ServiceNode(result, "db");
        Assert.Equal("/run/secrets/dso/shop/db/password", Scalar(db, "environment", "PASSWORD_FILE"));
        var volumes = (YamlSequenceNode)db.Children[new YamlScalarNode("volumes")];
        Assert.Equal([$"{HostRoot}/db:/run/secrets/dso:ro"], volumes.Children.Select(node => ((YamlScalarNode)node).Value));
        Assert.Empty(result.Placeholders);
    }

    [Fact]
    public void Build_SameSecretTwice_SharesOnePlaceholder()
    {
        ComposeProject project = Project(
            null,
            Service("api", Use("api", "TOKEN", "dso://shop/token"), Use("api", "OTHER", "dso://shop/other")),
            Service("worker", Use("worker", "TOKEN_AGAIN", "dso://shop/token")));

        OverrideFile result = Build(project);

        Assert.Equal(2, result.Placeholders.Count);
        Assert.Equal("${DSO_VALUE_0}", Scalar(ServiceNode(result, "worker"), "environment", "TOKEN_AGAIN"));
        Assert.Equal("${DSO_VALUE_1}", Scalar(ServiceNode(result, "api"), "environment", "OTHER"));
    }

    [Fact]
    public void Build_ServiceWithoutSecrets_IsLeftOut()
    {
        ComposeProject project = Project(null, Service("api", Use("api", "TOKEN", "dso://shop/token")), Service("web"));

        OverrideFile result = Build(project);

        YamlMappingNode services = (YamlMappingNode)Root(result).Children[new YamlScalarNode("services")];
        Assert.Equal(["api"], services.Children.Keys.Select(key => ((YamlScalarNode)key).Value));
    }

    [Theory]
    [InlineData("3.8")]
    [InlineData("2.4")]
    public void Build_ProjectVersion_IsRepeated(string version)
    {
        ComposeProject project = Project(version, Service("api", Use("api", "TOKEN", "dso://shop/token")));

        OverrideFile result = Build(project);

        Assert.Equal(version, ((YamlScalarNode)Root(result).Children[new YamlScalarNode("version")]).Value);
    }

    [Fact]
    public void Build_NoProjectVersion_WritesNoVersionKey()
    {
        ComposeProject project = Project(null, Service("api", Use("api", "TOKEN", "dso://shop/token")));

        OverrideFile result = Build(project);

        Assert.False(Root(result).Children.ContainsKey(new YamlScalarNode("version")));
    }

    [Fact]
    public void Build_NamesNeedingQuotes_RoundTrip()
    {
        ComposeProject project = Project(null, Service("web-1", Use("web-1", "yes", "dso://shop/token"), Use("web-1", "A\"B", "dsofile://x")));

        OverrideFile result = Build(project);

        YamlMappingNode service = ServiceNode(result, "web-1");
        Assert.Equal("${DSO_VALUE_0}", Scalar(service, "environment", "yes"));
        Assert.Equal("/run/secrets/dso/x", Scalar(service, "environment", "A\"B"));
    }

    private static OverrideFile Build(ComposeProject project) =>
        OverrideFile.Build(project, service => $"{HostRoot}/{service}");

    private static ComposeProject Project(string? version, params ServiceSecrets[] services) => new()
    {
        Name = "shop",
        Directory = "/srv/shop",
        Files = ["/srv/shop/compose.yml"],
        Version = version,
        Services = services,
    };

    private static ServiceSecrets Service(string name, params SecretUse[] uses) => new(name, null, "dso-busybox:latest", uses);

    private static SecretUse Use(string service, string variable, string reference) =>
        new(service, variable, SecretReference.Parse(reference, "test"), "/srv/shop/compose.yml", 1);

    private static YamlMappingNode Root(OverrideFile file)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(file.Text));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static YamlMappingNode ServiceNode(OverrideFile file, string service)
    {
        var services = (YamlMappingNode)Root(file).Children[new YamlScalarNode("services")];
        return (YamlMappingNode)services.Children[new YamlScalarNode(service)];
    }

    private static string? Scalar(YamlMappingNode service, string section, string key)
    {
        var mapping = (YamlMappingNode)service.Children[new YamlScalarNode(section)];
        return ((YamlScalarNode)mapping.Children[new YamlScalarNode(key)]).Value;
    }
}
