using System.ComponentModel;
using System.Diagnostics;
using System.Text;

namespace Dso.Docker.Processes;

/// <summary>Runs a program to completion with its output captured, for commands whose output dso reads.</summary>
internal static class ProcessCapture
{
    /// <summary>
    /// Runs <paramref name="fileName"/> and returns its exit code and output. The process inherits dso's environment.
    /// On timeout or cancellation the process tree is killed.
    /// </summary>
    /// <exception cref="Win32Exception">The program could not be started (for example, it is not installed).</exception>
    /// <exception cref="TimeoutException">The program did not finish within <paramref name="timeout"/>.</exception>
    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(startInfo) ?? throw new Win32Exception($"Failed to start {fileName}.");
        process.StandardInput.Close();
        Task<string> output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new TimeoutException($"{fileName} did not finish within {timeout.TotalSeconds:0} seconds.");
        }

        return new ProcessResult(process.ExitCode, await output, await error);
    }
}
