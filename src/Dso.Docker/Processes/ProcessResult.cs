namespace Dso.Docker.Processes;

/// <summary>The exit code and output of a finished process. The output may contain secrets, so it is never logged.</summary>
internal sealed record ProcessResult(int ExitCode, string StandardOutput, string StandardError)
{
    public override string ToString() => $"exit code {ExitCode}";
}
