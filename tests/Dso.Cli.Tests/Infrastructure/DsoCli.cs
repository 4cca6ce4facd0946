using System.Diagnostics;
using System.Text;

namespace Dso.Cli.Tests.Infrastructure;

/// <summary>The result of one run of the real dso executable.</summary>
public sealed record DsoResult(int ExitCode, byte[] StandardOutputBytes, string StandardError)
{
    public string StandardOutput => Encoding.UTF8.GetString(StandardOutputBytes);

    public override string ToString() => $"exit {ExitCode}\nstdout: {StandardOutput}\nstderr: {StandardError}";
}

/// <summary>
/// Runs the real dso executable as a separate process: the apphost built next to the tests, or the binary named
/// by DSO_TEST_EXECUTABLE (CI points it at the published build).
/// </summary>
public static class DsoCli
{
    public static string ExecutablePath =>
        Environment.GetEnvironmentVariable("DSO_TEST_EXECUTABLE") is { Length: > 0 } configured
            ? configured
            : Path.Combine(AppContext.BaseDirectory, "dso");

    public static ProcessStartInfo CreateStartInfo(TestHome home, IEnumerable<string> arguments, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(ExecutablePath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? home.Root,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in home.Environment)
        {
            startInfo.Environment[key] = value;
        }

        if (environment is not null)
        {
            foreach ((string key, string value) in environment)
            {
                startInfo.Environment[key] = value;
            }
        }

        return startInfo;
    }

    public static async Task<DsoResult> RunAsync(
        TestHome home,
        IEnumerable<string> arguments,
        byte[]? standardInput = null,
        string? workingDirectory = null,
        IReadOnlyDictionary<string, string>? environment = null,
        TimeSpan? timeout = null)
    {
        using var process = Process.Start(CreateStartInfo(home, arguments, workingDirectory, environment))!;
        Task<byte[]> stdout = ReadAllAsync(process.StandardOutput.BaseStream);
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (standardInput is not null)
        {
            await process.StandardInput.BaseStream.WriteAsync(standardInput);
        }

        process.StandardInput.Close();
        using var cancellation = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3));
        try
        {
            await process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dso {string.Join(' ', arguments)} did not finish within the timeout.");
        }

        return new DsoResult(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Runs dso and fails the test when it exits non-zero.</summary>
    public static async Task<DsoResult> RunOkAsync(TestHome home, IEnumerable<string> arguments, byte[]? standardInput = null, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        DsoResult result = await RunAsync(home, arguments, standardInput, workingDirectory, environment);
        Assert.True(result.ExitCode == 0, $"dso {string.Join(' ', arguments)} failed: {result}");
        return result;
    }

    public static Task<DsoResult> SetSecretAsync(TestHome home, string name, string value) =>
        RunOkAsync(home, ["secret", "set", name], Encoding.UTF8.GetBytes(value));

    private static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
