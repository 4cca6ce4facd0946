using System.Diagnostics;
using Dso.Core;

namespace Dso.Docker.Compose;

/// <summary>
/// The Compose program dso drives: the v2 plugin (docker compose) when it is installed, else docker-compose (v1).
/// DSO_COMPOSE ("docker compose" or "docker-compose") overrides the choice.
/// </summary>
internal sealed record ComposeCli(string FileName, IReadOnlyList<string> PrefixArguments)
{
    private static readonly string[] PluginDirectories =
    [
        "/usr/local/lib/docker/cli-plugins",
        "/usr/local/libexec/docker/cli-plugins",
        "/usr/lib/docker/cli-plugins",
        "/usr/libexec/docker/cli-plugins",
    ];

    public string DisplayName => PrefixArguments.Count == 0 ? FileName : $"{FileName} {string.Join(' ', PrefixArguments)}";

    public static ComposeCli Detect(Func<string, string?> environment)
    {
        string? choice = environment("DSO_COMPOSE");
        if (!string.IsNullOrEmpty(choice))
        {
            string[] parts = choice.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return new ComposeCli(parts[0], parts[1..]);
        }

        // The plugin is found by looking for its file rather than running docker, which saves a process start.
        string? dockerConfig = environment("DOCKER_CONFIG");
        string home = environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        IEnumerable<string> directories = new[] { Path.Combine(dockerConfig ?? Path.Combine(home, ".docker"), "cli-plugins") }.Concat(PluginDirectories);
        if (directories.Any(directory => File.Exists(Path.Combine(directory, "docker-compose"))) && FindOnPath("docker", environment) is not null)
        {
            return new ComposeCli("docker", ["compose"]);
        }

        if (FindOnPath("docker-compose", environment) is not null)
        {
            return new ComposeCli("docker-compose", []);
        }

        throw new DsoException("Neither the Docker Compose plugin (docker compose) nor docker-compose was found. Install one, for example: apt-get install docker-compose.");
    }

    /// <summary>Runs Compose with the terminal attached and returns its exit code.</summary>
    public async Task<int> RunAsync(IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> extraEnvironment, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(FileName)
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach (string argument in PrefixArguments.Concat(arguments))
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in extraEnvironment)
        {
            startInfo.Environment[key] = value;
        }

        using Process process = Process.Start(startInfo)
            ?? throw new DsoException($"Failed to start {DisplayName}.");
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Compose received the same Ctrl-C from the terminal and stops its containers; wait for it to finish.
            await process.WaitForExitAsync(CancellationToken.None);
        }

        return process.ExitCode;
    }

    private static string? FindOnPath(string program, Func<string, string?> environment)
    {
        foreach (string directory in (environment("PATH") ?? "/usr/local/bin:/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
