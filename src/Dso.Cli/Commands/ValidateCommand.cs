using System.CommandLine;
using Dso.Cli.Diagnostics;
using Dso.Cli.Migration;
using Dso.Cli.Terminal;
using Dso.Compose.Diagnostics;
using Dso.Compose.Model;
using Dso.Compose.Secrets;

namespace Dso.Cli.Commands;

/// <summary>dso validate: read-only checks of dso.yaml, compose references, vault entries, plaintext secrets and permissions.</summary>
internal static class ValidateCommand
{
    public static Command Create(CliContext context)
    {
        var files = new Option<string[]>("--file", "-f") { Description = "A compose file, as for docker compose -f (repeatable; default: compose discovery in the current directory)." };
        var envFile = new Option<string[]>("--env-file") { Description = "The env file Compose interpolates with (default: .env of the project)." };
        var projectDirectory = new Option<string>("--project-directory") { Description = "The project directory, as for docker compose --project-directory." };
        var projectName = new Option<string>("--project-name", "-p") { Description = "The project name, as for docker compose -p." };
        var profile = new Option<string[]>("--profile") { Description = "A profile to activate, as for docker compose --profile (repeatable; references of every profile are checked either way)." };
        var secret = new Option<string[]>("--secret") { Description = "Treat this variable as a secret whatever its name (repeatable)." };
        var plain = new Option<string[]>("--plain") { Description = "Do not report this variable as a plaintext secret (repeatable)." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON (stable field names and finding codes, for CI)." };

        var validate = new Command("validate", """
            Check the project without changing anything: the dso.yaml in use, every dso:// and dsofile:// reference
            of every service (syntax, secret present in the vault, file targets that collide), plaintext secrets
            still written in compose files, env_files or .env (by the rule of 'dso migrate --help'), and file
            permissions. Exits 1 when any check fails, 0 otherwise; warnings do not fail.
            """)
        {
            files, envFile, projectDirectory, projectName, profile, secret, plain, json,
        };
        validate.SetAction(result =>
        {
            var arguments = new ComposeArguments
            {
                Files = result.GetValue(files) ?? [],
                EnvFiles = result.GetValue(envFile) ?? [],
                ProjectDirectory = result.GetValue(projectDirectory),
                ProjectName = result.GetValue(projectName),
                Profiles = result.GetValue(profile) ?? [],
            };
            ValidationReport report = new ProjectValidator(
                context,
                arguments,
                (result.GetValue(secret) ?? []).ToHashSet(StringComparer.Ordinal),
                (result.GetValue(plain) ?? []).ToHashSet(StringComparer.Ordinal)).Run();

            if (result.GetValue(json))
            {
                WriteJson(context, report);
            }
            else
            {
                WriteText(context, report);
            }

            return report.Ok ? 0 : 1;
        });
        return validate;
    }

    private static void WriteText(CliContext context, ValidationReport report)
    {
        TextWriter output = context.Output;
        string files = report.ComposeFiles.Count == 0 ? "no compose file" : string.Join(", ", report.ComposeFiles.Select(file => DisplayPaths.Relative(context.WorkingDirectory, file)));
        string config = report.ConfigPath is null ? "no config file (defaults apply)" : $"config {report.ConfigPath} (from {report.ConfigSource})";
        output.WriteLine($"Checked {files} (project \"{report.Project ?? "?"}\", {report.ReferenceCount} references), {config}, vault {report.VaultPath}.");
        foreach (Finding finding in report.Findings)
        {
            string where = finding.File is null ? string.Empty : DisplayPaths.RelativeLocation(context.WorkingDirectory, finding.Location) + ": ";
            output.WriteLine($"  {MigrationPlanText.SeverityText(finding.Severity),-8}{where}{finding.Message} [{finding.Code}]");
        }

        int errors = report.Count(FindingSeverity.Error);
        int warnings = report.Count(FindingSeverity.Warning);
        output.WriteLine(errors == 0 && warnings == 0
            ? "OK: no problem found."
            : $"{(errors == 0 ? "OK" : "FAILED")}: errors: {errors}, warnings: {warnings}.");
    }

    private static void WriteJson(CliContext context, ValidationReport report) =>
        JsonOutput.Write(context.Output, writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("ok", report.Ok);
            writer.WriteNumber("errors", report.Count(FindingSeverity.Error));
            writer.WriteNumber("warnings", report.Count(FindingSeverity.Warning));
            writer.WriteStartObject("config");
            if (report.ConfigPath is null)
            {
                writer.WriteNull("path");
            }
            else
            {
                writer.WriteString("path", report.ConfigPath);
            }

            writer.WriteString("source", report.ConfigSource);
            writer.WriteEndObject();
            writer.WriteString("vault", report.VaultPath);
            if (report.Project is null)
            {
                writer.WriteNull("project");
            }
            else
            {
                writer.WriteString("project", report.Project);
            }

            JsonOutput.WriteStrings(writer, "compose_files", report.ComposeFiles);
            writer.WriteNumber("references", report.ReferenceCount);
            MigrationPlanJson.WriteFindings(writer, report.Findings);
            writer.WriteEndObject();
        });
}
