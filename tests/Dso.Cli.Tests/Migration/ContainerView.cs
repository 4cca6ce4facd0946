using System.Text;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Migration;

/// <summary>What the containers of a project see, read with docker exec, and docker-compose runs for the project as it was.</summary>
internal static class ContainerView
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    /// <summary>Runs docker-compose (the Compose this machine has) in a folder and fails the test when it exits non-zero.</summary>
    public static async Task<ProcessResult> ComposeOkAsync(string directory, params string[] arguments)
    {
        ProcessResult result = await ExternalProcess.RunAsync("sh", ["-c", "cd \"$0\" && exec docker-compose \"$@\"", directory, .. arguments], Timeout);
        Assert.True(result.ExitCode == 0, $"docker-compose {string.Join(' ', arguments)} failed: {result}");
        return result;
    }

    /// <summary>Reads the environment of a container's first process, byte for byte, from /proc/1/environ.</summary>
    public static async Task<Dictionary<string, byte[]>> ProcessEnvironmentAsync(string container)
    {
        ProcessResult result = await DockerCli.ExecOkAsync(container, "cat", "/proc/1/environ");
        var environment = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        byte[] bytes = result.StandardOutputBytes;
        int start = 0;
        for (int i = 0; i <= bytes.Length; i++)
        {
            if (i < bytes.Length && bytes[i] != 0)
            {
                continue;
            }

            if (i > start)
            {
                int equals = Array.IndexOf(bytes, (byte)'=', start, i - start);
                environment[Encoding.UTF8.GetString(bytes, start, equals - start)] = bytes[(equals + 1)..i];
            }

            start = i + 1;
        }

        return environment;
    }

    public static async Task<byte[]> ReadFileAsync(string container, string path) =>
        (await DockerCli.ExecOkAsync(container, "cat", path)).StandardOutputBytes;

    /// <summary>
    /// Reads each service's environment, with a VAR_FILE that points at a dso secret file replaced by VAR and the
    /// file's bytes, so that a value delivered as a file compares equal to the same value in the environment.
    /// HOSTNAME, which differs per container, is left out.
    /// </summary>
    public static async Task<Dictionary<string, Dictionary<string, byte[]>>> ReadAsync(string project, IEnumerable<string> services)
    {
        var view = new Dictionary<string, Dictionary<string, byte[]>>(StringComparer.Ordinal);
        foreach (string service in services)
        {
            string container = await DockerCli.ContainerOfServiceAsync(project, service);
            Dictionary<string, byte[]> environment = await ProcessEnvironmentAsync(container);
            environment.Remove("HOSTNAME");
            foreach ((string name, byte[] value) in environment.ToList())
            {
                string text = Encoding.UTF8.GetString(value);
                if (name.EndsWith("_FILE", StringComparison.Ordinal) && text.StartsWith("/run/secrets/dso/", StringComparison.Ordinal))
                {
                    environment.Remove(name);
                    environment[name[..^"_FILE".Length]] = await ReadFileAsync(container, text);
                }
            }

            view[service] = environment;
        }

        return view;
    }

    public static void AssertSame(Dictionary<string, Dictionary<string, byte[]>> before, Dictionary<string, Dictionary<string, byte[]>> after)
    {
        Assert.Equal(before.Keys.Order(StringComparer.Ordinal), after.Keys.Order(StringComparer.Ordinal));
        foreach ((string service, Dictionary<string, byte[]> environment) in before)
        {
            Assert.Equal(environment.Keys.Order(StringComparer.Ordinal), after[service].Keys.Order(StringComparer.Ordinal));
            foreach ((string name, byte[] value) in environment)
            {
                Assert.True(value.AsSpan().SequenceEqual(after[service][name]), $"service {service}: {name} differs after the migration ({value.Length} bytes before, {after[service][name].Length} after)");
            }
        }
    }
}
