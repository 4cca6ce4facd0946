using System.Diagnostics;

namespace Dso.Cli.Commands.AgentSetup;

/// <summary>Runs a system tool (groupadd, getent, systemctl) with its arguments passed as a list, never through a shell.</summary>
internal static class ExternalCommand
{
    public static ExternalCommandResult Run(string fileName, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(startInfo) ?? throw new IOException($"Failed to start {fileName}.");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new IOException($"Failed to run {fileName}: {exception.Message}. Is it installed and on PATH?", exception);
        }

        using (process)
        {
            process.StandardInput.Close();
            Task<string> output = process.StandardOutput.ReadToEndAsync();
            Task<string> error = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            return new ExternalCommandResult($"{fileName} {string.Join(' ', arguments)}", process.ExitCode, output.GetAwaiter().GetResult(), error.GetAwaiter().GetResult());
        }
    }

    /// <summary>Runs a command and throws with its standard error when it exits non-zero.</summary>
    public static ExternalCommandResult RunChecked(string fileName, params string[] arguments)
    {
        ExternalCommandResult result = Run(fileName, arguments);
        if (result.ExitCode != 0)
        {
            throw new IOException($"'{result.CommandLine}' failed with exit code {result.ExitCode}: {result.StandardError.Trim()}");
        }

        return result;
    }
}

/// <summary>The exit code and output of one run of a system tool.</summary>
internal sealed record ExternalCommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError);
