using System.Text.Json;
using Dso.Agent.Journal;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Agent;

/// <summary>dso state clean run as a real process against a temporary state and lock directory.</summary>
public sealed class StateCleanTests : IDisposable
{
    private readonly AgentStateHome _state = new();
    private readonly DateTimeOffset _now = DateTimeOffset.UtcNow;

    [Fact]
    public async Task Clean_OldRecordsAndStaleLocks_Removed()
    {
        RotationRecord oldCompleted = _state.AddRotation("compose:shop/api", _now.AddDays(-10), RotationStep.Completed);
        RotationRecord oldRolledBack = _state.AddRotation("compose:shop/web", _now.AddDays(-9), RotationStep.RolledBack, "health check timed out after 60s");
        RotationRecord recent = _state.AddRotation("compose:shop/api", _now.AddDays(-1), RotationStep.Completed);
        int deadPid = await AgentStateHome.StartAndWaitForExitAsync();
        string deadOwnerLock = _state.AddLock("compose:shop/api", deadPid, _now);
        string oldLock = _state.AddLock("compose:shop/web", Environment.ProcessId, _now.AddHours(-1));

        DsoResult result = await _state.RunAsync("state", "clean", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([recent.Id], RotationJournal.ReadRecords(_state.JournalPath)!.Select(record => record.Id));
        Assert.False(File.Exists(deadOwnerLock));
        Assert.False(File.Exists(oldLock));
        using JsonDocument document = JsonDocument.Parse(result.StandardOutput);
        JsonElement root = document.RootElement;
        Assert.Equal([oldCompleted.Id, oldRolledBack.Id], root.GetProperty("removed_rotations").EnumerateArray().Select(record => record.GetProperty("id").GetString()));
        Assert.Empty(root.GetProperty("removed_in_flight_rotations").EnumerateArray());
        JsonElement[] locks = [.. root.GetProperty("removed_stale_locks").EnumerateArray()];
        Assert.Equal(["compose:shop/api", "compose:shop/web"], locks.Select(found => found.GetProperty("key").GetString()).Order(StringComparer.Ordinal));
        Assert.Contains(locks, found => found.GetProperty("reason").GetString() == $"its owner process {deadPid} is gone");
        Assert.Contains(locks, found => found.GetProperty("reason").GetString()!.StartsWith("it is 60 minutes old", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Clean_Text_NamesWhatWasRemoved()
    {
        RotationRecord old = _state.AddRotation("compose:shop/api", _now.AddDays(-10), RotationStep.Recovered);
        int deadPid = await AgentStateHome.StartAndWaitForExitAsync();
        _state.AddLock("compose:shop/api", deadPid, _now);

        DsoResult result = await _state.RunAsync("state", "clean");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"removed rotation {old.Id} (compose:shop/api, recovered, finished ", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"removed stale lock compose:shop/api: its owner process {deadPid} is gone", result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clean_RetentionFromConfig_IsApplied()
    {
        RotationRecord twoDaysOld = _state.AddRotation("compose:shop/api", _now.AddDays(-2), RotationStep.Completed);
        string config = Path.Combine(_state.Home.Root, "agent.yaml");
        await File.WriteAllTextAsync(config, "mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: /var/lib/dso/vault.enc\nagent:\n  state:\n    retention: 1d\n");

        DsoResult result = await DsoCli.RunAsync(_state.Home, ["--config", config, "state", "clean"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"removed rotation {twoDaysOld.Id}", result.StandardOutput, StringComparison.Ordinal);
        Assert.Empty(RotationJournal.ReadRecords(_state.JournalPath)!);
    }

    [Fact]
    public async Task Clean_RotationInFlight_FailsNamingIdAndStep()
    {
        _state.AddRotation("compose:shop/api", _now.AddDays(-10), RotationStep.Completed);
        RotationRecord running = _state.AddRotation("compose:shop/web", _now.AddMinutes(-1), RotationStep.NewContainerCreated);
        RotationRecord failed = _state.AddRotation("compose:shop/db", _now.AddMinutes(-1), RotationStep.Failed, "docker start failed");
        SortedDictionary<string, string> before = _state.Snapshot();

        DsoResult result = await _state.RunAsync("state", "clean");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"{running.Id} (compose:shop/web, step new_container_created)", result.StandardError, StringComparison.Ordinal);
        Assert.Contains($"{failed.Id} (compose:shop/db, step failed)", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("--force", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(before, _state.Snapshot());
    }

    [Fact]
    public async Task Clean_LiveLock_FailsNamingKey()
    {
        _state.AddRotation("compose:shop/api", _now.AddDays(-10), RotationStep.Completed);
        _state.AddLock("compose:shop/api", Environment.ProcessId, _now);
        SortedDictionary<string, string> before = _state.Snapshot();

        DsoResult result = await _state.RunAsync("state", "clean");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"live locks: compose:shop/api (held by process {Environment.ProcessId})", result.StandardError, StringComparison.Ordinal);
        Assert.Equal(before, _state.Snapshot());
    }

    [Fact]
    public async Task Clean_Force_RemovesInFlightRecords()
    {
        RotationRecord old = _state.AddRotation("compose:shop/api", _now.AddDays(-10), RotationStep.Completed);
        RotationRecord running = _state.AddRotation("compose:shop/web", _now.AddMinutes(-1), RotationStep.NewContainerCreated);
        RotationRecord recent = _state.AddRotation("compose:shop/db", _now.AddMinutes(-10), RotationStep.Completed);
        string liveLock = _state.AddLock("compose:shop/web", Environment.ProcessId, _now);

        DsoResult result = await _state.RunAsync("state", "clean", "--force");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal([recent.Id], RotationJournal.ReadRecords(_state.JournalPath)!.Select(record => record.Id));
        Assert.True(File.Exists(liveLock));
        Assert.Contains($"removed rotation {old.Id}", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"removed in-flight rotation {running.Id} (compose:shop/web, step new_container_created)", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("kept live lock compose:shop/web", result.StandardOutput, StringComparison.Ordinal);
        Assert.Contains($"dso: warning: removed in-flight rotation {running.Id}", result.StandardError, StringComparison.Ordinal);
        Assert.Contains("recovery will not run for it", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clean_DryRun_LeavesFilesByteIdentical()
    {
        RotationRecord old = _state.AddRotation("compose:shop/api", _now.AddDays(-10), RotationStep.Completed);
        RotationRecord running = _state.AddRotation("compose:shop/web", _now.AddMinutes(-1), RotationStep.Started);
        int deadPid = await AgentStateHome.StartAndWaitForExitAsync();
        _state.AddLock("compose:shop/api", deadPid, _now);
        SortedDictionary<string, string> before = _state.Snapshot();

        DsoResult result = await _state.RunAsync("state", "clean", "--dry-run", "--force", "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal(before, _state.Snapshot());
        using JsonDocument document = JsonDocument.Parse(result.StandardOutput);
        JsonElement root = document.RootElement;
        Assert.True(root.GetProperty("dry_run").GetBoolean());
        Assert.Equal([old.Id], root.GetProperty("removed_rotations").EnumerateArray().Select(record => record.GetProperty("id").GetString()));
        Assert.Equal([running.Id], root.GetProperty("removed_in_flight_rotations").EnumerateArray().Select(record => record.GetProperty("id").GetString()));
        Assert.Equal(["compose:shop/api"], root.GetProperty("removed_stale_locks").EnumerateArray().Select(found => found.GetProperty("key").GetString()));
        Assert.Contains($"would remove in-flight rotation {running.Id}", result.StandardError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Clean_NothingToRemove_CreatesNothing()
    {
        DsoResult result = await _state.RunAsync("state", "clean");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("nothing to clean", result.StandardOutput, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_state.StateDirectory));
        Assert.False(Directory.Exists(_state.LockDirectory));
    }

    public void Dispose() => _state.Dispose();
}
