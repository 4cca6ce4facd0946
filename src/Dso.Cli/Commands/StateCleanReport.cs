using System.Text.Json;
using Dso.Agent.Journal;

namespace Dso.Cli.Commands;

/// <summary>What dso state clean removed, or with --dry-run would remove, and what it kept.</summary>
internal sealed record StateCleanResult(
    bool DryRun,
    bool Forced,
    AgentStateSettings State,
    IReadOnlyList<RotationRecord> Expired,
    IReadOnlyList<RotationRecord> InFlightRemoved,
    IReadOnlyList<FoundLock> StaleLocks,
    IReadOnlyList<FoundLock> LiveLocksKept,
    List<string> Warnings);

/// <summary>Prints a <see cref="StateCleanResult"/> as text or JSON.</summary>
internal static class StateCleanReport
{
    public static void WriteText(TextWriter output, StateCleanResult result)
    {
        string verb = result.DryRun ? "would remove" : "removed";
        foreach (RotationRecord record in result.Expired)
        {
            output.WriteLine($"{verb} rotation {record.Id} ({record.Target}, {RotationsCommand.StepName(record.Step)}, finished {RotationsCommand.FormatTime(record.FinishedAt ?? record.UpdatedAt)})");
        }

        foreach (RotationRecord record in result.InFlightRemoved)
        {
            output.WriteLine($"{verb} in-flight rotation {record.Id} ({record.Target}, step {RotationsCommand.StepName(record.Step)})");
        }

        foreach (FoundLock found in result.StaleLocks)
        {
            output.WriteLine($"{verb} stale lock {found.Key}: {found.StaleReason}");
        }

        foreach (FoundLock found in result.LiveLocksKept)
        {
            output.WriteLine($"kept live lock {found.Key} (held by process {found.Pid})");
        }

        if (result.Expired.Count + result.InFlightRemoved.Count + result.StaleLocks.Count == 0)
        {
            output.WriteLine($"nothing to clean: no finished rotation is older than {Dso.Agent.Configuration.Duration.Format(result.State.Settings.Retention)} and no lock is stale");
        }
    }

    public static void WriteJson(TextWriter output, StateCleanResult result) =>
        JsonOutput.Write(output, writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("dry_run", result.DryRun);
            writer.WriteBoolean("forced", result.Forced);
            writer.WriteString("journal", result.State.JournalPath);
            writer.WriteString("lock_directory", result.State.Paths.LockDirectory);
            writer.WriteString("retention", Dso.Agent.Configuration.Duration.Format(result.State.Settings.Retention));
            writer.WriteString("stale_after", Dso.Agent.Configuration.Duration.Format(result.State.Settings.StaleAfter));
            WriteRecords(writer, "removed_rotations", result.Expired);
            WriteRecords(writer, "removed_in_flight_rotations", result.InFlightRemoved);
            WriteLocks(writer, "removed_stale_locks", result.StaleLocks);
            WriteLocks(writer, "kept_live_locks", result.LiveLocksKept);
            JsonOutput.WriteStrings(writer, "warnings", result.Warnings);
            writer.WriteEndObject();
        });

    private static void WriteRecords(Utf8JsonWriter writer, string name, IReadOnlyList<RotationRecord> records)
    {
        writer.WriteStartArray(name);
        foreach (RotationRecord record in records)
        {
            writer.WriteStartObject();
            writer.WriteString("id", record.Id);
            writer.WriteString("target", record.Target);
            writer.WriteString("step", RotationsCommand.StepName(record.Step));
            writer.WriteString("started_at", record.StartedAt);
            if (record.FinishedAt is { } finished)
            {
                writer.WriteString("finished_at", finished);
            }
            else
            {
                writer.WriteNull("finished_at");
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteLocks(Utf8JsonWriter writer, string name, IReadOnlyList<FoundLock> locks)
    {
        writer.WriteStartArray(name);
        foreach (FoundLock found in locks)
        {
            writer.WriteStartObject();
            writer.WriteString("key", found.Key);
            writer.WriteString("path", found.Path);
            if (found.Pid is { } pid)
            {
                writer.WriteNumber("pid", pid);
            }
            else
            {
                writer.WriteNull("pid");
            }

            if (found.StaleReason is { } reason)
            {
                writer.WriteString("reason", reason);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
