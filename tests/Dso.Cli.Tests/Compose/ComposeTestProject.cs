using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Compose;

/// <summary>
/// A compose project for one test: a folder below the test's dso home and a project name that starts with dsotest.
/// Disposing it runs dso down with the arguments of the last dso up, then removes any container or network of the
/// project that is still there, so a failed test leaves nothing behind.
/// </summary>
public sealed class ComposeTestProject : IAsyncDisposable
{
    private (IReadOnlyList<string> Arguments, string WorkingDirectory)? _lastUp;

    /// <param name="directoryName">The folder name below the home's root; the project name by default.</param>
    /// <param name="name">The project name Compose will use; a new dsotest name by default.</param>
    public ComposeTestProject(TestHome home, string? directoryName = null, string? name = null)
    {
        Home = home;
        Name = name ?? "dsotest" + Guid.NewGuid().ToString("N")[..12];
        Directory = Path.Combine(home.Root, directoryName ?? Name);
        System.IO.Directory.CreateDirectory(Directory);
    }

    public TestHome Home { get; }

    public string Name { get; }

    public string Directory { get; }

    /// <summary>The project's folder of secret files on tmpfs.</summary>
    public string SecretFileDirectory => Path.Combine(Home.RuntimeDirectory, Name);

    /// <summary>Writes a file below the project folder, creating its folders, and returns its absolute path.</summary>
    public string Write(string relativePath, string text)
    {
        string path = Path.Combine(Directory, relativePath);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Runs dso up -d -p NAME ARGUMENTS in the project folder and fails the test when it exits non-zero.</summary>
    public async Task<DsoResult> UpAsync(params string[] arguments)
    {
        DsoResult result = await TryUpAsync(["-p", Name, .. arguments]);
        Assert.True(result.ExitCode == 0, $"dso up failed: {result}");
        return result;
    }

    /// <summary>Runs dso up -d ARGUMENTS and returns its result, whatever the exit code.</summary>
    public Task<DsoResult> TryUpAsync(IReadOnlyList<string> arguments, string? workingDirectory = null)
    {
        _lastUp = (arguments, workingDirectory ?? Directory);
        return DsoCli.RunAsync(Home, ["up", "-d", .. arguments], workingDirectory: workingDirectory ?? Directory);
    }

    /// <summary>Runs dso down with the project arguments of the last dso up.</summary>
    public Task<DsoResult> DownAsync()
    {
        Assert.NotNull(_lastUp);
        (IReadOnlyList<string> arguments, string workingDirectory) = _lastUp.Value;
        return DsoCli.RunAsync(Home, ["down", .. arguments], workingDirectory: workingDirectory);
    }

    public Task<string> ContainerAsync(string service) => DockerCli.ContainerOfServiceAsync(Name, service);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_lastUp is not null)
            {
                await DownAsync();
            }
        }
        finally
        {
            await DockerCli.RemoveProjectAsync(Name);
        }
    }
}
