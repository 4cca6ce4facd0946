using System.Text.Json;
using Dso.Compose.Diagnostics;
using Dso.Compose.Migration;

namespace Dso.Cli.Migration;

/// <summary>Writes a migration plan as JSON for scripts, with stable field names. No secret value is written.</summary>
internal static class MigrationPlanJson
{
    public static void Write(Utf8JsonWriter writer, MigrationPlan plan, string? compose, bool dryRun, bool applied)
    {
        writer.WriteStartObject();
        writer.WriteString("project", plan.Project);
        writer.WriteBoolean("dry_run", dryRun);
        writer.WriteBoolean("applied", applied);
        if (compose is null)
        {
            writer.WriteNull("compose");
        }
        else
        {
            writer.WriteString("compose", compose);
        }

        writer.WriteStartArray("secrets");
        foreach (PlannedSecret secret in plan.Secrets)
        {
            writer.WriteStartObject();
            writer.WriteString("name", secret.Name);
            writer.WriteString("status", MigrationPlanText.StatusText(secret.Status));
            if (secret.Bytes is { } bytes)
            {
                writer.WriteNumber("bytes", bytes.Length);
            }

            writer.WriteString("source", secret.Source);
            writer.WriteString("reason", secret.Reason);
            Commands.JsonOutput.WriteStrings(writer, "uses", secret.Uses);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        writer.WriteStartArray("changes");
        foreach (ServiceChange change in plan.Changes)
        {
            writer.WriteStartObject();
            writer.WriteString("service", change.Service);
            writer.WriteString("variable", change.Variable);
            writer.WriteString("new_variable", change.NewVariable);
            writer.WriteString("reference", change.Reference);
            writer.WriteString("location", change.Location);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        writer.WriteStartArray("plain");
        foreach (PlainSetting setting in plan.Plain)
        {
            writer.WriteStartObject();
            writer.WriteString("service", setting.Service);
            writer.WriteString("variable", setting.Variable);
            writer.WriteString("location", setting.Location);
            writer.WriteString("reason", setting.Reason);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        writer.WriteStartArray("files");
        foreach (MigratedFile file in plan.Files)
        {
            writer.WriteStartObject();
            writer.WriteString("original", file.OriginalPath);
            writer.WriteString("output", file.OutputPath);
            writer.WriteString("status", MigrationPlanText.StatusText(file.Status));
            writer.WriteEndObject();
        }

        writer.WriteEndArray();

        Commands.JsonOutput.WriteStrings(writer, "up_files", plan.UpFiles);
        Commands.JsonOutput.WriteStrings(writer, "plaintext_left", plan.PlaintextLeftBehind);
        WriteFindings(writer, plan.Findings);
        writer.WriteEndObject();
    }

    public static void WriteFindings(Utf8JsonWriter writer, IEnumerable<Finding> findings)
    {
        writer.WriteStartArray("findings");
        foreach (Finding finding in findings)
        {
            writer.WriteStartObject();
            writer.WriteString("severity", MigrationPlanText.SeverityText(finding.Severity));
            writer.WriteString("code", finding.Code);
            writer.WriteString("message", finding.Message);
            if (finding.File is null)
            {
                writer.WriteNull("file");
            }
            else
            {
                writer.WriteString("file", finding.File);
            }

            if (finding.Line is { } line)
            {
                writer.WriteNumber("line", line);
            }
            else
            {
                writer.WriteNull("line");
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}
