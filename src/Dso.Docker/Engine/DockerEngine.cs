using Docker.DotNet;

namespace Dso.Docker.Engine;

/// <summary>Creates Docker Engine API clients for DOCKER_HOST, or the default unix socket.</summary>
internal static class DockerEngine
{
    public static DockerClient CreateClient(Func<string, string?> environment)
    {
        AotGenericRoots.Keep();
        return new DockerClientConfiguration(new Uri(HostOf(environment))).CreateClient();
    }

    /// <summary>The engine's address: DOCKER_HOST, else the default unix socket.</summary>
    public static string HostOf(Func<string, string?> environment) =>
        environment("DOCKER_HOST") is { Length: > 0 } configured ? configured : "unix:///var/run/docker.sock";
}
