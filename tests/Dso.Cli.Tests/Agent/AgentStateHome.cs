using System.Diagnostics;
using System.Text.Json;
using Dso.Agent.Journal;
using Dso.Agent.Locks;
using Dso.Cli.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace Dso.Cli.Tests.Agent;

/// <summary>
/// A throwaway agent state directory and lock directory (DSO_STATE_DIR, DSO_LOCK_DIR) with helpers that write
/// journal records and lock files the way the agent does. DSO_ETC_DIR points into the folder too, so that a
/// real /etc/dso/dso.yaml is never read.
/// </summary>
internal sealed class AgentStateHome : IDisposable
{
    public const string OldContainerId = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    public const string NewContainerId = "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    public AgentStateHome()
    {
        Home = new TestHome();
        Home.Environment["DSO_ETC_DIR"] = Path.Combine(Home.Root, "etc");
    }

    public TestHome Home { get; }

    public string StateDirectory => Home.Environment["DSO_STATE_DIR"];

    public string LockDirectory => Home.Environment["DSO_LOCK_DIR"];

    public string JournalPath => Path.Combine(StateDirectory, RotationJournal.FileName);

    public Task<DsoResult> RunAsync(params string[] arguments) => DsoCli.RunAsync(Home, arguments);

    /// <summary>Records a rolling rotation that started at <paramref name="startedAt"/> and went on to <paramref name="finalStep"/>, five seconds per step.</summary>
    public RotationRecord AddRotation(string target, DateTimeOffset startedAt, RotationStep finalStep, string? error = null)
    {
        var time = new FakeTimeProvider(startedAt);
        RotationJournal journal = RotationJournal.Open(JournalPath, time);
        SecretVersion[] secrets = [new("db_password", "vault", "7"), new("api_key", "local", "3")];
        RotationRecord record = journal.Begin(target, "rolling", secrets, OldContainerId, "shop_api_1");
        if (finalStep == RotationStep.Planned)
        {
            return record;
        }

        time.Advance(TimeSpan.FromSeconds(5));
        record = journal.Advance(record.Id, RotationStep.NewContainerCreated, current => current with { NewContainerId = NewContainerId });
        if (finalStep == RotationStep.NewContainerCreated)
        {
            return record;
        }

        time.Advance(TimeSpan.FromSeconds(5));
        return journal.Advance(record.Id, finalStep, current => current with { Error = error });
    }

    /// <summary>Writes a lock file as LockManager does, owned by <paramref name="pid"/> on this host.</summary>
    public string AddLock(string key, int pid, DateTimeOffset startedAt)
    {
        Directory.CreateDirectory(LockDirectory);
        var info = new LockInfo
        {
            Key = key,
            Pid = pid,
            PidStartTicks = LockManager.ProcessStartTicks(pid),
            Host = Environment.MachineName,
            StartedAt = startedAt,
        };
        string path = Path.Combine(LockDirectory, LockManager.FileNameFor(key));
        File.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(info, LockJsonContext.Default.LockInfo));
        return path;
    }

    /// <summary>Starts a process, waits for it to exit and returns its pid, which then names no running process.</summary>
    public static async Task<int> StartAndWaitForExitAsync()
    {
        using var process = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!;
        await process.WaitForExitAsync();
        return process.Id;
    }

    /// <summary>Every file under the state and lock directories with its content, to prove a command changed nothing.</summary>
    public SortedDictionary<string, string> Snapshot()
    {
        var snapshot = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string directory in new[] { StateDirectory, LockDirectory }.Where(Directory.Exists))
        {
            foreach (string path in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
            {
                snapshot[path] = $"{File.GetLastWriteTimeUtc(path):O} {Convert.ToHexString(File.ReadAllBytes(path))}";
            }
        }

        return snapshot;
    }

    public void Dispose() => Home.Dispose();
}
