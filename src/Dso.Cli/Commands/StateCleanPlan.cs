using Dso.Agent.Journal;
using Dso.Agent.Locks;

namespace Dso.Cli.Commands;

/// <summary>A lock file found by dso state clean, with why it is stale (null for a live lock).</summary>
internal sealed record FoundLock(string Key, string Path, int? Pid, string? StaleReason);

/// <summary>
/// What dso state clean found: finished journal records past the retention, in-flight records, stale locks
/// and live locks. In-flight records and live locks block a cleanup unless it is forced.
/// </summary>
internal sealed record StateCleanPlan(
    IReadOnlyList<RotationRecord> Expired,
    IReadOnlyList<RotationRecord> InFlight,
    IReadOnlyList<FoundLock> StaleLocks,
    IReadOnlyList<FoundLock> LiveLocks)
{
    public bool IsBlocked => InFlight.Count > 0 || LiveLocks.Count > 0;

    public static StateCleanPlan Build(IReadOnlyList<RotationRecord> records, LockManager locks, TimeSpan retention, DateTimeOffset now)
    {
        DateTimeOffset cutoff = now - retention;
        List<RotationRecord> expired = records.Where(record => RotationJournal.IsExpired(record, cutoff)).ToList();
        List<RotationRecord> inFlight = records.Where(record => !record.Step.IsTerminal()).ToList();

        var stale = new List<FoundLock>();
        var live = new List<FoundLock>();
        foreach ((string path, LockInfo? info, bool isStale, string? reason) in locks.List())
        {
            var found = new FoundLock(info?.Key ?? LockManager.KeyFromFileName(System.IO.Path.GetFileName(path)), path, info?.Pid, isStale ? reason : null);
            (isStale ? stale : live).Add(found);
        }

        return new StateCleanPlan(expired, inFlight, stale, live);
    }

    /// <summary>Describes what blocks the cleanup, naming each in-flight rotation with its step and each live lock with its owner.</summary>
    public string DescribeBlockers()
    {
        var parts = new List<string>();
        if (InFlight.Count > 0)
        {
            parts.Add("rotations in flight: " + string.Join(", ", InFlight.Select(record => $"{record.Id} ({record.Target}, step {RotationsCommand.StepName(record.Step)})")));
        }

        if (LiveLocks.Count > 0)
        {
            parts.Add("live locks: " + string.Join(", ", LiveLocks.Select(found => $"{found.Key} (held by process {found.Pid})")));
        }

        return string.Join("; ", parts);
    }
}
