using Docker.DotNet;

namespace Dso.Docker.Engine;

/// <summary>Creates Docker Engine API clients for DOCKER_HOST, or the default unix socket.</summary>
internal static class DockerEngine
{
    public static DockerClient CreateClient(Func<string, string?> environment)
    {
        AotGenericRoots.Keep();
        string host = environment("DOCKER_HOST") is { Length: > 0 } configured ? configured : "unix:///var/run/docker.sock";
        return new DockerClientConfiguration(new Uri(host)).CreateClient();
    }
}
