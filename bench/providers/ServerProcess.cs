using System.Diagnostics;
using System.Text.Json;

namespace Dso.Bench.Providers;

/// <summary>The measuring process's handle on the child process that runs the fake servers (<see cref="ServerHost"/>).</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;

    private ServerProcess(Process process, ServerEndpoints endpoints)
    {
        _process = process;
        Endpoints = endpoints;
    }

    public ServerEndpoints Endpoints { get; }

    /// <summary>Starts this program again with "serve", so that the servers run in their own process, and waits until they listen.</summary>
    public static async Task<ServerProcess> StartAsync(int secretCount, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };

        // Under "dotnet Dso.Bench.Providers.dll" the process path is the dotnet host, which needs the assembly.
        string self = Environment.ProcessPath ?? throw new InvalidOperationException("The path of this executable is unknown, so the server process cannot be started.");
        start.FileName = self;
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(ServerProcess).Assembly.Location);
        }

        start.ArgumentList.Add("serve");
        start.ArgumentList.Add(secretCount.ToString(System.Globalization.CultureInfo.InvariantCulture));

        Process process = Process.Start(start) ?? throw new InvalidOperationException($"Starting {self} serve failed.");
        string line = await process.StandardOutput.ReadLineAsync(cancellationToken)
            ?? throw new InvalidOperationException($"The server process (pid {process.Id}) exited before it listed its endpoints; see its errors above.");
        ServerEndpoints endpoints = JsonSerializer.Deserialize<ServerEndpoints>(line)
            ?? throw new InvalidOperationException($"The server process wrote an invalid endpoint line: {line}");
        return new ServerProcess(process, endpoints);
    }

    public async Task<ServerCounts> ReadCountsAsync(CancellationToken cancellationToken)
    {
        await _process.StandardInput.WriteLineAsync("counts".AsMemory(), cancellationToken);
        await _process.StandardInput.FlushAsync(cancellationToken);
        string line = await _process.StandardOutput.ReadLineAsync(cancellationToken)
            ?? throw new InvalidOperationException($"The server process (pid {_process.Id}) exited during the benchmark; see its errors above.");
        return JsonSerializer.Deserialize<ServerCounts>(line)
            ?? throw new InvalidOperationException($"The server process wrote an invalid count line: {line}");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _process.StandardInput.WriteLineAsync("stop");
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (Exception error) when (error is IOException or OperationCanceledException)
        {
            _process.Kill();
        }

        _process.Dispose();
    }
}
