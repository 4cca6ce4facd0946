using Dso.Agent.Runtime;

namespace Dso.Agent.Tests.Runtime;

public sealed class AgentSecretFilesTests
{
    private readonly AgentSecretFiles _files = new("/dev/shm/dso-test", allowDiskBacked: false);

    [Theory]
    [InlineData("compose:shop/api")]
    [InlineData("container:a_b")]
    [InlineData("container:a/b")]
    [InlineData(".hidden")]
    public void Escape_RoundTrips(string value)
    {
        string escaped = AgentSecretFiles.Escape(value);

        Assert.Equal(value, AgentSecretFiles.Unescape(escaped));
        Assert.DoesNotContain(':', escaped);
        Assert.DoesNotContain('/', escaped);
    }

    [Fact]
    public void Locate_HostDirectory_ReturnsTargetAndGeneration()
    {
        string directory = _files.HostDirectory("compose:shop/api", "r-1234", "/run/secrets/dso");

        Assert.Equal(("compose:shop/api", "r-1234"), _files.Locate(directory));
        Assert.Equal("r-1234", _files.GenerationOf("compose:shop/api", directory));
        Assert.Null(_files.GenerationOf("compose:shop/db", directory));
    }

    [Fact]
    public void Locate_OtherPath_ReturnsNull()
    {
        Assert.Null(_files.Locate("/srv/data"));
        Assert.Null(_files.Locate(_files.TargetDirectory("container:x")));
    }
}
