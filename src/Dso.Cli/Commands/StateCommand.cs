using System.CommandLine;
using Dso.Agent.Journal;
using Dso.Agent.Locks;
using Dso.Agent.Storage;
using Dso.Core;
using Microsoft.Extensions.Logging.Abstractions;

namespace Dso.Cli.Commands;

/// <summary>
/// dso state clean: removes finished rotation records older than agent.state.retention and stale lock files.
/// While a rotation is in flight or a live lock is held, it changes nothing unless forced. A forced cleanup also
/// removes the in-flight records, each with a warning, because recovery will then not run for them.
/// </summary>
internal static class StateCommand
{
    public static Command Create(CliContext context)
    {
        var force = new Option<bool>("--force") { Description = "Clean even while rotations are in flight or locks are held: in-flight records are removed too (recovery will not run for them); live locks are kept." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be removed, and change nothing." };
        var json = new Option<bool>("--json") { Description = "Print what was removed as JSON." };
        var clean = new Command("clean", "Remove finished rotation records older than agent.state.retention (default 7d) and stale lock files.")
        {
            force,
            dryRun,
            json,
        };
        clean.SetAction(result => Clean(context, result.GetValue(force), result.GetValue(dryRun), result.GetValue(json)));

        return new Command("state", "Inspect and clean the agent's state: the rotation journal and lock files.") { clean };
    }

    private static int Clean(CliContext context, bool force, bool dryRun, bool json)
    {
        AgentStateSettings state = AgentStateSettings.Resolve(context);
        List<string> warnings = [.. NetworkFileSystemWarnings(state)];
        foreach (string warning in warnings)
        {
            context.Warn(warning);
        }

        var locks = new LockManager(state.Paths.LockDirectory, state.Settings.StaleAfter, context.Time, NullLogger.Instance);
        IReadOnlyList<RotationRecord> records = RotationJournal.ReadRecords(state.JournalPath) ?? [];
        var plan = StateCleanPlan.Build(records, locks, state.Settings.Retention, context.Time.GetUtcNow());
        if (plan.IsBlocked && !force)
        {
            throw new DsoException(
                $"Nothing was cleaned: {plan.DescribeBlockers()}. Wait until the agent finishes or recovers these rotations, " +
                $"or run 'dso state clean --force' to remove the in-flight records anyway (recovery will not run for them). Journal: {state.JournalPath}, locks: {state.Paths.LockDirectory}.");
        }

        List<RotationRecord> inFlightRemoved = force ? [.. plan.InFlight] : [];
        var result = new StateCleanResult(dryRun, force, state, plan.Expired, inFlightRemoved, plan.StaleLocks, plan.LiveLocks, warnings);
        if (!dryRun)
        {
            result = Apply(context, state, locks, result);
        }

        foreach (RotationRecord record in result.InFlightRemoved)
        {
            string verb = dryRun ? "would remove" : "removed";
            string warning = $"{verb} in-flight rotation {record.Id} ({record.Target}, step {RotationsCommand.StepName(record.Step)}): recovery will not run for it, so check the target's containers by hand (old {RotationsCommand.ShortId(record.OldContainerId)}, new {RotationsCommand.ShortId(record.NewContainerId)}).";
            context.Warn(warning);
            result.Warnings.Add(warning);
        }

        if (json)
        {
            StateCleanReport.WriteJson(context.Output, result);
        }
        else
        {
            StateCleanReport.WriteText(context.Output, result);
        }

        return 0;
    }

    /// <summary>Removes the planned records and stale locks, and returns what was removed.</summary>
    private static StateCleanResult Apply(CliContext context, AgentStateSettings state, LockManager locks, StateCleanResult planned)
    {
        IReadOnlyList<RotationRecord> removedExpired = [];
        IReadOnlyList<RotationRecord> removedInFlight = [];
        if (planned.Expired.Count > 0 || planned.InFlightRemoved.Count > 0)
        {
            // The journal's file lock serializes this with a running agent, which rereads the file before its next change.
            RotationJournal journal = RotationJournal.Open(state.JournalPath, context.Time);
            var ids = new HashSet<string>(planned.Expired.Concat(planned.InFlightRemoved).Select(record => record.Id), StringComparer.Ordinal);
            IReadOnlyList<RotationRecord> removed = journal.Remove(ids);
            var inFlightIds = new HashSet<string>(planned.InFlightRemoved.Select(record => record.Id), StringComparer.Ordinal);
            removedExpired = removed.Where(record => !inFlightIds.Contains(record.Id)).ToList();
            removedInFlight = removed.Where(record => inFlightIds.Contains(record.Id)).ToList();
        }

        // CleanStale checks every lock again, so a lock released or taken since the plan is left alone.
        var removedKeys = new HashSet<string>(locks.CleanStale(), StringComparer.Ordinal);
        List<FoundLock> removedLocks = planned.StaleLocks.Where(found => removedKeys.Remove(found.Key)).ToList();
        removedLocks.AddRange(removedKeys.Select(key => new FoundLock(key, locks.PathFor(key), null, "it became stale during the cleanup")));

        return planned with { Expired = removedExpired, InFlightRemoved = removedInFlight, StaleLocks = removedLocks };
    }

    private static IEnumerable<string> NetworkFileSystemWarnings(AgentStateSettings state)
    {
        foreach (string directory in new[] { state.Paths.StateDirectory, state.Paths.LockDirectory }.Distinct(StringComparer.Ordinal))
        {
            if (StorageChecks.WarnIfNetworkFileSystem(directory) is { } warning)
            {
                yield return warning;
            }
        }
    }
}
