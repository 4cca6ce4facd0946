using System.Diagnostics;
using System.Text;

namespace Dso.Cli.Tests.Infrastructure;

/// <summary>Runs the docker and docker-compose programs for tests, with output captured as bytes.</summary>
public static class DockerCli
{
    public static async Task<DsoResult> RunAsync(string program, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? Directory.GetCurrentDirectory(),
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[key] = value;
        }

        using var process = Process.Start(startInfo)!;
        process.StandardInput.Close();
        using var buffer = new MemoryStream();
        Task copy = process.StandardOutput.BaseStream.CopyToAsync(buffer);
        Task<string> error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await process.WaitForExitAsync(timeout.Token);
        await copy;
        return new DsoResult(process.ExitCode, buffer.ToArray(), await error);
    }

    public static async Task<DsoResult> RunOkAsync(string program, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        DsoResult result = await RunAsync(program, arguments, workingDirectory, environment);
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', arguments)} failed: {result}");
        return result;
    }

    /// <summary>Returns the id of the running container of a compose service.</summary>
    public static async Task<string> ContainerOfAsync(string project, string service)
    {
        DsoResult result = await RunOkAsync("docker", ["ps", "-q", "--filter", $"label=com.docker.compose.project={project}", "--filter", $"label=com.docker.compose.service={service}"]);
        string id = result.StandardOutput.Trim();
        Assert.False(string.IsNullOrEmpty(id), $"no running container for service {service} of project {project}");
        return id.Split('\n')[0];
    }

    /// <summary>Reads the environment of a container's first process, byte for byte, from /proc/1/environ.</summary>
    public static async Task<Dictionary<string, byte[]>> ProcessEnvironmentAsync(string container)
    {
        DsoResult result = await RunOkAsync("docker", ["exec", container, "cat", "/proc/1/environ"]);
        var environment = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        int start = 0;
        byte[] bytes = result.StandardOutputBytes;
        for (int i = 0; i <= bytes.Length; i++)
        {
            if (i < bytes.Length && bytes[i] != 0)
            {
                continue;
            }

            if (i > start)
            {
                int equals = Array.IndexOf(bytes, (byte)'=', start, i - start);
                string name = Encoding.UTF8.GetString(bytes, start, equals - start);
                environment[name] = bytes[(equals + 1)..i];
            }

            start = i + 1;
        }

        return environment;
    }

    public static async Task<byte[]> ReadFileAsync(string container, string path) =>
        (await RunOkAsync("docker", ["exec", container, "cat", path])).StandardOutputBytes;

    /// <summary>Removes every container and network of a compose project, whatever state a failed test left.</summary>
    public static async Task RemoveProjectAsync(string project)
    {
        DsoResult containers = await RunAsync("docker", ["ps", "-aq", "--filter", $"label=com.docker.compose.project={project}"]);
        string[] ids = containers.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (ids.Length > 0)
        {
            await RunAsync("docker", ["rm", "-f", .. ids]);
        }

        DsoResult networks = await RunAsync("docker", ["network", "ls", "-q", "--filter", $"label=com.docker.compose.project={project}"]);
        string[] networkIds = networks.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (networkIds.Length > 0)
        {
            await RunAsync("docker", ["network", "rm", .. networkIds]);
        }
    }
}
