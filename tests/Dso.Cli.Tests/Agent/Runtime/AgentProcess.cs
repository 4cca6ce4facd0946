using System.Diagnostics;
using System.Text;
using Dso.Cli.Tests.Infrastructure;
using Dso.Core.IO;

namespace Dso.Cli.Tests.Agent.Runtime;

/// <summary>A running dso agent process, with its log lines collected as they arrive.</summary>
public sealed class AgentProcess : IAsyncDisposable
{
    private const int SigTerm = 15;

    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly Lock _gate = new();
    private bool _disposed;

    private AgentProcess(Process process)
    {
        _process = process;
        _process.OutputDataReceived += (_, line) => Append(line.Data);
        _process.ErrorDataReceived += (_, line) => Append(line.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public string Log
    {
        get
        {
            lock (_gate)
            {
                return _log.ToString();
            }
        }
    }

    public static AgentProcess Start(TestHome home, string configPath, IReadOnlyDictionary<string, string>? environment = null)
    {
        ProcessStartInfo startInfo = DsoCli.CreateStartInfo(home, ["--config", configPath, "agent"], environment: environment);
        var process = Process.Start(startInfo)!;
        process.StandardInput.Close();
        return new AgentProcess(process);
    }

    /// <summary>Waits until a log line contains <paramref name="text"/>; fails with the log when the agent exits or time runs out.</summary>
    public async Task WaitForLogAsync(string text, TimeSpan timeout)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!Log.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited)
            {
                await Task.Delay(200);
                if (Log.Contains(text, StringComparison.Ordinal))
                {
                    return;
                }

                Assert.Fail($"The agent exited with code {_process.ExitCode} before logging \"{text}\". Log:\n{Log}");
            }

            if (stopwatch.Elapsed > timeout)
            {
                Assert.Fail($"The agent did not log \"{text}\" within {timeout.TotalSeconds:0} s. Log:\n{Log}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Waits until the agent has finished start-up (recovery and the first poll).</summary>
    public Task WaitUntilStartedAsync() => WaitForLogAsync("Application started", TimeSpan.FromSeconds(60));

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The agent did not exit within {timeout.TotalSeconds:0} s. Log:\n{Log}");
        }

        return _process.ExitCode;
    }

    /// <summary>Stops the agent as systemd does (SIGTERM) and waits for it.</summary>
    public async Task StopAsync()
    {
        if (_process.HasExited)
        {
            return;
        }

        Libc.Kill(_process.Id, SigTerm);
        await WaitForExitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            try
            {
                await StopAsync();
            }
            finally
            {
                if (!_process.HasExited)
                {
                    _process.Kill();
                }
            }
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _log.AppendLine(line);
        }
    }
}
