using Docker.DotNet;
using Docker.DotNet.Models;
using Dso.Agent.Configuration;
using Dso.Agent.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dso.Agent.Tests.Runtime;

/// <summary>
/// Which Docker container events make the catalog list containers again. Each refresh lists every container of
/// the engine, so events of containers no secret targets must not cause one.
/// </summary>
public sealed class ContainerCatalogEventTests : IDisposable
{
    private const string Config = "mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: /var/lib/dso/vault.enc\n" +
        "secrets:\n  db:\n    provider: main\n    path: app/db\n    targets:\n      containers: [web]\n      labels:\n        tier: backend\n" +
        "  api:\n    provider: main\n    path: app/api\n    targets:\n      compose:\n        project: shop\n        service: api\n";

    // The client never connects: these tests only feed events to the catalog.
    private readonly DockerClient _docker = new DockerClientConfiguration(new Uri("unix:///nonexistent/docker.sock")).CreateClient();
    private readonly ContainerCatalog _catalog;
    private int _changes;

    public ContainerCatalogEventTests()
    {
        AgentConfig config = AgentConfigLoader.Parse("/srv/dso/dso.yaml", Config, new AgentConfigLoadOptions { Environment = _ => null });
        _catalog = new ContainerCatalog(config, _docker, NullLogger.Instance);
        _catalog.Changed += (_, _) => _changes++;
    }

    [Fact]
    public void UnrelatedContainer_DoesNotMarkDirty()
    {
        _catalog.OnContainerEvent(Event("start", "other", ("com.example.team", "web"), ("image", "busybox")));

        Assert.Equal(0, _changes);
    }

    [Fact]
    public void UnrelatedComposeService_DoesNotMarkDirty()
    {
        _catalog.OnContainerEvent(Event("die", "shop-web-1", ("com.docker.compose.project", "shop"), ("com.docker.compose.service", "web")));

        Assert.Equal(0, _changes);
    }

    [Theory]
    [InlineData("create")]
    [InlineData("start")]
    [InlineData("die")]
    [InlineData("destroy")]
    [InlineData("rename")]
    public void TargetedByName_MarksDirty(string action)
    {
        _catalog.OnContainerEvent(Event(action, "web"));

        Assert.Equal(1, _changes);
    }

    [Fact]
    public void TargetedByLabel_MarksDirty()
    {
        _catalog.OnContainerEvent(Event("start", "backend-7", ("tier", "backend")));

        Assert.Equal(1, _changes);
    }

    [Fact]
    public void TargetedByComposeService_MarksDirty()
    {
        _catalog.OnContainerEvent(Event("start", "shop-api-1", ("com.docker.compose.project", "shop"), ("com.docker.compose.service", "api")));

        Assert.Equal(1, _changes);
    }

    [Fact]
    public void SecretsLabel_MarksDirty()
    {
        _catalog.OnContainerEvent(Event("start", "worker", ("dso.secrets", "db")));

        Assert.Equal(1, _changes);
    }

    [Fact]
    public void EventWithoutAttributes_MarksDirty()
    {
        _catalog.OnContainerEvent(new Message { Type = "container", Action = "start", ID = "abc", Actor = new Actor { ID = "abc" } });

        Assert.Equal(1, _changes);
    }

    [Fact]
    public void OtherAction_DoesNotMarkDirty()
    {
        _catalog.OnContainerEvent(Event("exec_start: sh", "web"));

        Assert.Equal(0, _changes);
    }

    public void Dispose() => _docker.Dispose();

    private static Message Event(string action, string name, params (string Key, string Value)[] labels)
    {
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal) { ["name"] = name, ["image"] = "dso-busybox:latest" };
        foreach ((string key, string value) in labels)
        {
            attributes[key] = value;
        }

        string id = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(name)));
        return new Message { Type = "container", Action = action, ID = id, Actor = new Actor { ID = id, Attributes = attributes } };
    }
}
