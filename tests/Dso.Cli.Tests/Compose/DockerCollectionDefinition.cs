namespace Dso.Cli.Tests.Compose;

/// <summary>The Docker tests run one at a time and share one <see cref="DockerComposeFixture"/>.</summary>
[CollectionDefinition(Name)]
public sealed class DockerCollectionDefinition : ICollectionFixture<DockerComposeFixture>
{
    public const string Name = "Docker";
}
