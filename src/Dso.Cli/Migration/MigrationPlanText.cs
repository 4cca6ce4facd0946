using System.Text;
using Dso.Cli.Terminal;
using Dso.Compose.Diagnostics;
using Dso.Compose.Migration;

namespace Dso.Cli.Migration;

/// <summary>Writes a migration plan for a person: vault entries, service changes, plain configuration, files and findings. No value is shown.</summary>
internal static class MigrationPlanText
{
    public static void Write(TextWriter output, MigrationPlan plan, string workingDirectory, string valueSource)
    {
        string Show(string path) => DisplayPaths.Relative(workingDirectory, path);
        string ShowLocation(string location) => DisplayPaths.RelativeLocation(workingDirectory, location);

        output.WriteLine($"Migration plan for project \"{plan.Project}\" ({string.Join(", ", plan.ComposeFiles.Select(Show))}; values as {valueSource} reads them)");

        output.WriteLine();
        output.WriteLine(plan.Secrets.Count == 0 ? "Vault entries: none (no variable looks like a secret; see --secret)." : $"Vault entries ({plan.Secrets.Count}, in one vault write):");
        int nameWidth = plan.Secrets.Count == 0 ? 0 : plan.Secrets.Max(secret => secret.Name.Length);
        foreach (PlannedSecret secret in plan.Secrets)
        {
            string size = secret.Bytes is { } bytes ? $"{bytes.Length} bytes" : "value kept";
            output.WriteLine($"  {StatusText(secret.Status),-10} {secret.Name.PadRight(nameWidth)}  {size,-11} from {ShowLocation(secret.Source)} (secret: {secret.Reason})");
            output.WriteLine($"  {string.Empty,-10} {string.Empty.PadRight(nameWidth)}  used by {string.Join(", ", secret.Uses)}");
        }

        if (plan.Changes.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Services that change:");
            int serviceWidth = plan.Changes.Max(change => change.Service.Length);
            foreach (ServiceChange change in plan.Changes.OrderBy(change => change.Service, StringComparer.Ordinal))
            {
                string renamed = change.NewVariable == change.Variable ? string.Empty : $" (was {change.Variable})";
                output.WriteLine($"  {change.Service.PadRight(serviceWidth)}  {change.NewVariable}={change.Reference}{renamed}  [{ShowLocation(change.Location)}]");
            }
        }

        if (plan.Plain.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Plain configuration (stays as it is):");
            foreach (IGrouping<string, PlainSetting> service in plan.Plain.GroupBy(setting => setting.Service).OrderBy(group => group.Key, StringComparer.Ordinal))
            {
                output.WriteLine($"  {service.Key}: {string.Join(", ", service.Select(setting => setting.Variable))}");
            }
        }

        output.WriteLine();
        output.WriteLine(plan.Files.Count == 0 ? "Files: none to write." : "Files (the originals are never modified):");
        foreach (MigratedFile file in plan.Files)
        {
            output.WriteLine($"  {StatusText(file.Status),-10} {Show(file.OutputPath)}  (from {Show(file.OriginalPath)})");
        }

        if (plan.Findings.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Findings:");
            foreach (Finding finding in plan.Findings.OrderByDescending(finding => finding.Severity))
            {
                string where = finding.File is null ? string.Empty : ShowLocation(finding.Location) + ": ";
                output.WriteLine($"  {SeverityText(finding.Severity),-8}{where}{finding.Message}");
            }
        }
    }

    /// <summary>Writes what to do after the migration: start from the migrated files, then remove the plaintext.</summary>
    public static void WriteNextSteps(TextWriter output, MigrationPlan plan, string workingDirectory)
    {
        var files = new StringBuilder();
        foreach (string file in plan.UpFiles)
        {
            files.Append(" -f ").Append(DisplayPaths.Relative(workingDirectory, file));
        }

        output.WriteLine();
        output.WriteLine("Next:");
        output.WriteLine($"  1. Start the project from the migrated files: dso up{files} -d");
        if (plan.PlaintextLeftBehind.Count > 0)
        {
            output.WriteLine($"  2. When it works, remove the plaintext values: {string.Join(", ", plan.PlaintextLeftBehind.Select(place => DisplayPaths.RelativeLocation(workingDirectory, place)))}");
        }

        output.WriteLine($"  {(plan.PlaintextLeftBehind.Count > 0 ? 3 : 2)}. Check the result: dso validate{files}");
    }

    public static string StatusText(VaultEntryStatus status) => status switch
    {
        VaultEntryStatus.Create => "create",
        VaultEntryStatus.Unchanged => "unchanged",
        VaultEntryStatus.Replace => "replace",
        VaultEntryStatus.Conflict => "conflict",
        _ => "reuse",
    };

    public static string StatusText(MigratedFileStatus status) => status switch
    {
        MigratedFileStatus.Create => "create",
        MigratedFileStatus.Unchanged => "unchanged",
        MigratedFileStatus.Replace => "replace",
        _ => "conflict",
    };

    public static string SeverityText(FindingSeverity severity) => severity switch
    {
        FindingSeverity.Error => "error",
        FindingSeverity.Warning => "warning",
        _ => "note",
    };
}
