using System.Diagnostics;
using Dso.Cli.Tests.Infrastructure;
using Dso.Core.IO;
using Xunit.Abstractions;

namespace Dso.Cli.Tests.Vault;

[Collection(ProcessHeavyTests.Name)]
public sealed class VaultCrashSafetyTests
{
    private const int Iterations = 200;
    private const int ValueSize = 256 * 1024;
    private const int MaxKillDelayMilliseconds = 30;
    private const string SecretName = "crash/value";
    private const string TempFilePattern = AtomicFile.TempPrefix + "*";

    private readonly ITestOutputHelper _output;

    public VaultCrashSafetyTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task Set_KilledAtRandomMoments_VaultKeepsOldOrNewValue()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        var random = new Random(20250102);
        byte[] committed = ValueFor(iteration: 0);
        await DsoCli.RunOkAsync(home, ["secret", "set", SecretName], committed);
        var outcomes = new Dictionary<string, int>(StringComparer.Ordinal);
        var stopwatch = Stopwatch.StartNew();

        for (int iteration = 1; iteration <= Iterations; iteration++)
        {
            byte[] next = ValueFor(iteration);
            int delay = random.Next(0, MaxKillDelayMilliseconds + 1);
            (bool tempFileSeen, int exitCode) = await RunSetAndKillAsync(home, next, delay);
            Assert.True(tempFileSeen, $"iteration {iteration}: dso exited ({exitCode}) without creating a temp file next to the vault, so no kill was sent");
            bool tempFileLeft = Directory.EnumerateFiles(home.Home, TempFilePattern).Any();

            DsoResult get = await DsoCli.RunAsync(home, ["secret", "get", SecretName]);

            Assert.True(get.ExitCode == 0, $"iteration {iteration}, kill after {delay} ms: the vault did not open: {get.StandardError}");
            bool isOld = get.StandardOutputBytes.AsSpan().SequenceEqual(committed);
            bool isNew = get.StandardOutputBytes.AsSpan().SequenceEqual(next);
            Assert.True(isOld || isNew, $"iteration {iteration}, kill after {delay} ms: the value is neither the old nor the new one ({get.StandardOutputBytes.Length} bytes)");
            string outcome = Classify(exitCode, isNew, tempFileLeft);
            outcomes[outcome] = outcomes.GetValueOrDefault(outcome) + 1;
            committed = isNew ? next : committed;
        }

        _output.WriteLine($"{Iterations} runs of 'dso secret set', each sent SIGKILL, in {stopwatch.Elapsed.TotalSeconds:F1} s:");
        foreach ((string outcome, int count) in outcomes.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            _output.WriteLine($"  {count,4}  {outcome}");
        }
    }

    /// <summary>
    /// Starts 'dso secret set' with <paramref name="value"/> on stdin and sends SIGKILL <paramref name="delay"/> ms
    /// after dso creates its temp file next to vault.enc, as seen by inotify. The delay thus counts from the start of
    /// the write, not from process start (about 100 ms earlier on a 2-core VM), so that 0 to 30 ms spans the write,
    /// the fsync, the rename and the exit. Returns whether the temp file was seen, and the exit code: 0 when dso
    /// finished first, 137 (128 + SIGKILL) when the kill landed.
    /// </summary>
    private static async Task<(bool TempFileSeen, int ExitCode)> RunSetAndKillAsync(TestHome home, byte[] value, int delay)
    {
        using var watcher = new FileSystemWatcher(home.Home, TempFilePattern);
        var tempFileCreated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        watcher.Created += (_, _) => tempFileCreated.TrySetResult();
        watcher.EnableRaisingEvents = true;

        using var process = Process.Start(DsoCli.CreateStartInfo(home, ["secret", "set", SecretName]))!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.StandardInput.BaseStream.WriteAsync(value);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        Task exited = process.WaitForExitAsync(timeout.Token);

        if (await Task.WhenAny(tempFileCreated.Task, exited) == tempFileCreated.Task)
        {
            await Task.Delay(delay);
            process.Kill();
        }

        await exited;
        await stdout;
        await stderr;

        // inotify may deliver the event after dso has exited. A dso that never created a temp file fails this wait.
        bool tempFileSeen = await Task.WhenAny(tempFileCreated.Task, Task.Delay(TimeSpan.FromSeconds(10))) == tempFileCreated.Task;
        return (tempFileSeen, process.ExitCode);
    }

    private static string Classify(int exitCode, bool isNew, bool tempFileLeft) => (exitCode, isNew, tempFileLeft) switch
    {
        (0, _, _) => "finished before the kill",
        (_, false, true) => "killed mid-write (temp file written, not yet renamed): old value kept",
        (_, false, false) => "killed, no temp file left: old value kept",
        (_, true, _) => "killed after the rename: new value",
    };

    /// <summary>Returns 256 KiB that differ from every other iteration's value in their first bytes.</summary>
    private static byte[] ValueFor(int iteration)
    {
        byte[] value = new byte[ValueSize];
        new Random(iteration).NextBytes(value);
        BitConverter.TryWriteBytes(value, iteration);
        return value;
    }
}
