using System.CommandLine;
using System.Text.Json;
using Dso.Cli.Diagnostics;

namespace Dso.Cli.Commands;

/// <summary>dso doctor: checks the environment dso runs in, each with a status, the reason and the fix.</summary>
internal static class DoctorCommand
{
    public static Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print the checks as JSON (stable check names and statuses)." };
        var fix = new Option<bool>("--fix") { Description = "Repair permissions and create missing directories (nothing else), then check again; every change is listed." };
        var doctor = new Command("doctor", """
            Check the environment dso runs in: the Docker engine and its API version, Compose v1 or v2, tmpfs for
            secret files, the vault and key and their permissions, the config file actually used, the state and
            lock directories, and the agent's socket and service. Each check has a status (ok, warning, error,
            skipped), the reason and the fix. Exits 1 when a check has status error.
            """)
        {
            json,
            fix,
        };
        doctor.SetAction(async (result, cancellationToken) =>
        {
            bool repair = result.GetValue(fix);
            DoctorReport report = await new Doctor(context).RunAsync(repair, cancellationToken);
            if (result.GetValue(json))
            {
                JsonOutput.Write(context.Output, writer => WriteJson(writer, report, repair));
            }
            else
            {
                WriteText(context.Output, report, repair);
            }

            return report.Ok ? 0 : 1;
        });
        return doctor;
    }

    private static void WriteText(TextWriter output, DoctorReport report, bool fix)
    {
        int width = report.Checks.Max(check => check.Name.Length);
        foreach (DoctorCheck check in report.Checks)
        {
            string status = check.Repaired.Count > 0 && check.Status == DoctorStatus.Ok ? "fixed" : StatusText(check.Status);
            output.WriteLine($"{status,-8} {check.Name.PadRight(width)}  {check.Detail}");
            string indent = new(' ', 9 + width + 2);
            foreach (string change in check.Repaired)
            {
                output.WriteLine($"{indent}changed: {change}");
            }

            if (check.Reason is not null)
            {
                output.WriteLine($"{indent}reason: {check.Reason}");
            }

            if (check.Fix is not null)
            {
                output.WriteLine($"{indent}fix:    {check.Fix}{(!fix && check.Repairs.Count > 0 ? " (dso doctor --fix does this)" : string.Empty)}");
            }
        }

        if (fix)
        {
            output.WriteLine(report.Changes.Count == 0 ? "--fix changed nothing." : "--fix changed:");
            foreach (string change in report.Changes)
            {
                output.WriteLine($"  {change}");
            }

            foreach (string failure in report.FailedRepairs)
            {
                output.WriteLine($"  {failure}");
            }
        }

        int errors = report.Checks.Count(check => check.Status == DoctorStatus.Error);
        int warnings = report.Checks.Count(check => check.Status == DoctorStatus.Warning);
        output.WriteLine($"{(report.Ok ? "OK" : "FAILED")}: errors: {errors}, warnings: {warnings}.");
    }

    private static void WriteJson(Utf8JsonWriter writer, DoctorReport report, bool fix)
    {
        writer.WriteStartObject();
        writer.WriteBoolean("ok", report.Ok);
        writer.WriteBoolean("fix", fix);
        writer.WriteStartArray("checks");
        foreach (DoctorCheck check in report.Checks)
        {
            writer.WriteStartObject();
            writer.WriteString("name", check.Name);
            writer.WriteString("status", StatusText(check.Status));
            writer.WriteString("detail", check.Detail);
            WriteNullable(writer, "reason", check.Reason);
            WriteNullable(writer, "fix", check.Fix);
            writer.WriteBoolean("repairable", check.Repairs.Count > 0);
            JsonOutput.WriteStrings(writer, "repaired", check.Repaired);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        JsonOutput.WriteStrings(writer, "changes", report.Changes);
        JsonOutput.WriteStrings(writer, "failed_repairs", report.FailedRepairs);
        writer.WriteEndObject();
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
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

    private static string StatusText(DoctorStatus status) => status switch
    {
        DoctorStatus.Ok => "ok",
        DoctorStatus.Warning => "warning",
        DoctorStatus.Error => "error",
        _ => "skipped",
    };
}
