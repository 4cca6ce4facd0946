using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Dso.Agent.Journal;

namespace Dso.Cli.Commands;

/// <summary>
/// dso rotations: the agent's rotation history from the journal, newest first. It prints ids, secret names and
/// provider versions, never a secret value (the journal contains none).
/// </summary>
internal static class RotationsCommand
{
    /// <summary>Docker's short container id length.</summary>
    private const int ShortIdLength = 12;

    public static Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print the history as JSON, with full container ids." };
        var limit = new Option<int?>("--limit") { Description = "Print at most this many rotations, the newest ones." };
        limit.Validators.Add(result =>
        {
            if (result.GetValue(limit) is < 1)
            {
                result.AddError("--limit must be a positive whole number.");
            }
        });
        var target = new Option<string>("--target") { Description = "Print only rotations of this target, such as compose:shop/api." };

        var rotations = new Command("rotations", "Show the agent's rotation history, newest first: target, strategy, step, secret versions, containers, times and errors.")
        {
            json,
            limit,
            target,
        };
        rotations.SetAction(result => Run(context, result.GetValue(json), result.GetValue(limit), result.GetValue(target)));
        return rotations;
    }

    /// <summary>Formats a step as the CLI prints it, such as new_container_created.</summary>
    public static string StepName(RotationStep step) => JsonNamingPolicy.SnakeCaseLower.ConvertName(step.ToString());

    public static string ShortId(string? containerId) =>
        containerId is null ? "-" : containerId[..Math.Min(ShortIdLength, containerId.Length)];

    public static string FormatTime(DateTimeOffset? time) =>
        time?.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture) ?? "-";

    private static int Run(CliContext context, bool json, int? limit, string? target)
    {
        AgentStateSettings state = AgentStateSettings.Resolve(context);
        IReadOnlyList<RotationRecord>? records = RotationJournal.ReadRecords(state.JournalPath);
        if (records is null)
        {
            if (json)
            {
                JsonOutput.Write(context.Output, writer => WriteJson(writer, state.JournalPath, []));
            }
            else
            {
                context.Output.WriteLine($"no rotations recorded yet ({state.JournalPath} does not exist)");
            }

            return 0;
        }

        // The journal appends records as rotations start, so the position breaks ties between equal start times.
        List<RotationRecord> selected = records
            .Select((record, index) => (Record: record, Index: index))
            .Where(entry => target is null || entry.Record.Target == target)
            .OrderByDescending(entry => entry.Record.StartedAt)
            .ThenByDescending(entry => entry.Index)
            .Select(entry => entry.Record)
            .Take(limit ?? int.MaxValue)
            .ToList();

        if (json)
        {
            JsonOutput.Write(context.Output, writer => WriteJson(writer, state.JournalPath, selected));
        }
        else if (selected.Count == 0)
        {
            context.Output.WriteLine(target is null ? "no rotations recorded yet" : $"no rotations recorded for target {target}");
        }
        else
        {
            WriteText(context.Output, selected);
        }

        return 0;
    }

    private static void WriteText(TextWriter output, IReadOnlyList<RotationRecord> records)
    {
        for (int i = 0; i < records.Count; i++)
        {
            RotationRecord record = records[i];
            if (i > 0)
            {
                output.WriteLine();
            }

            output.WriteLine($"{record.Id}  {record.Target}  {record.Strategy}  {StepName(record.Step)}");
            string secrets = string.Join(", ", record.Secrets.Select(secret => $"{secret.Name} ({secret.Provider} version {secret.Version})"));
            output.WriteLine($"  secrets:     {(secrets.Length == 0 ? "-" : secrets)}");
            output.WriteLine($"  containers:  old {ShortId(record.OldContainerId)}, new {ShortId(record.NewContainerId)}");
            output.WriteLine($"  started:     {FormatTime(record.StartedAt)}");
            output.WriteLine($"  finished:    {FormatTime(record.FinishedAt)}");
            if (record.Error is not null)
            {
                output.WriteLine($"  error:       {record.Error}");
            }
        }
    }

    private static void WriteJson(Utf8JsonWriter writer, string journalPath, IReadOnlyList<RotationRecord> records)
    {
        writer.WriteStartObject();
        writer.WriteString("journal", journalPath);
        writer.WriteStartArray("rotations");
        foreach (RotationRecord record in records)
        {
            WriteRecord(writer, record);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteRecord(Utf8JsonWriter writer, RotationRecord record)
    {
        writer.WriteStartObject();
        writer.WriteString("id", record.Id);
        writer.WriteString("target", record.Target);
        writer.WriteString("strategy", record.Strategy);
        writer.WriteString("step", StepName(record.Step));
        writer.WriteStartArray("secrets");
        foreach (SecretVersion secret in record.Secrets)
        {
            writer.WriteStartObject();
            writer.WriteString("name", secret.Name);
            writer.WriteString("provider", secret.Provider);
            writer.WriteString("version", secret.Version);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        WriteStringOrNull(writer, "old_container_id", record.OldContainerId);
        WriteStringOrNull(writer, "new_container_id", record.NewContainerId);
        writer.WriteString("started_at", record.StartedAt);
        if (record.FinishedAt is { } finished)
        {
            writer.WriteString("finished_at", finished);
        }
        else
        {
            writer.WriteNull("finished_at");
        }

        WriteStringOrNull(writer, "error", record.Error);
        writer.WriteEndObject();
    }

    private static void WriteStringOrNull(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
