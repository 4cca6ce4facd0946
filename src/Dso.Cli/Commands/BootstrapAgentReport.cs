using Dso.Agent.Configuration;
using Dso.Cli.Commands.AgentSetup;

namespace Dso.Cli.Commands;

/// <summary>The output of dso bootstrap agent: one line per step, then what to do next; or the same as JSON.</summary>
internal static class BootstrapAgentReport
{
    public static void WriteText(TextWriter output, AgentSetupPlan plan, IReadOnlyList<StepOutcome> outcomes, bool dryRun, bool changed, bool configCreated)
    {
        if (dryRun)
        {
            output.WriteLine("Dry run: nothing is changed. The plan:");
        }

        foreach (StepOutcome outcome in outcomes)
        {
            string verb = Verb(outcome.Result, dryRun);
            output.WriteLine($"{verb,-12} {outcome.Step.Kind,-9} {outcome.Step.Target}");
            string detail = outcome.Error ?? outcome.Plan.Detail;
            if (detail.Length > 0)
            {
                output.WriteLine($"{"",-12} {"",-9} {detail}");
            }
        }

        output.WriteLine();
        if (dryRun)
        {
            output.WriteLine("Dry run: nothing was changed.");
        }
        else if (!changed && !outcomes.Any(outcome => outcome.Result == StepResult.Failed))
        {
            output.WriteLine("Nothing to change: agent mode is already set up.");
        }

        foreach (string note in Notes(plan, outcomes, dryRun, configCreated))
        {
            output.WriteLine(note);
        }
    }

    public static void WriteJson(TextWriter output, AgentSetupPlan plan, IReadOnlyList<StepOutcome> outcomes, bool dryRun, bool changed, bool configCreated)
    {
        JsonOutput.Write(output, writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean("dry_run", dryRun);
            writer.WriteBoolean("changed", changed);
            writer.WriteString("config", plan.Paths.ConfigPath);
            writer.WriteBoolean("config_created", configCreated);
            JsonOutput.WriteStrings(writer, "provider_types", plan.Config.Providers.Values.Select(provider => AgentConfigKeys.ProviderTypes[(int)provider.Type]).Distinct());
            JsonOutput.WriteStrings(writer, "unset_variables", plan.Config.UnsetVariables);
            writer.WriteStartArray("steps");
            foreach (StepOutcome outcome in outcomes)
            {
                writer.WriteStartObject();
                writer.WriteString("kind", outcome.Step.Kind);
                writer.WriteString("target", outcome.Step.Target);
                writer.WriteString("action", outcome.Plan.Action.ToString().ToLowerInvariant());
                writer.WriteString("result", ResultName(outcome.Result));
                writer.WriteString("detail", outcome.Plan.Detail);
                JsonOutput.WriteStrings(writer, "warnings", outcome.Plan.Warnings);
                if (outcome.Error is not null)
                {
                    writer.WriteString("error", outcome.Error);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            JsonOutput.WriteStrings(writer, "notes", Notes(plan, outcomes, dryRun, configCreated));
            writer.WriteEndObject();
        });
    }

    private static List<string> Notes(AgentSetupPlan plan, IReadOnlyList<StepOutcome> outcomes, bool dryRun, bool configCreated)
    {
        var notes = new List<string>();
        if (outcomes.Any(outcome => outcome.Result is StepResult.Failed))
        {
            return notes;
        }

        if (configCreated || (dryRun && plan.WritesConfig))
        {
            notes.Add($"Next: edit {plan.Paths.ConfigPath} for your provider and add the secrets to inject; docs/configuration.md describes every key.");
        }

        if (plan.Config.UnsetVariables.Count > 0)
        {
            string names = string.Join(", ", plan.Config.UnsetVariables);
            notes.Add($"{plan.Paths.ConfigPath} refers to {names}, not set in this shell. The agent needs {(plan.Config.UnsetVariables.Count == 1 ? "it" : "them")} in its environment: " +
                $"for the service, write KEY=value lines into {plan.Paths.EnvironmentFilePath} (0600 root:root).");
        }

        return notes;
    }

    private static string Verb(StepResult result, bool dryRun) => result switch
    {
        StepResult.Planned => "create",
        StepResult.Kept => dryRun ? "keep" : "kept",
        StepResult.Skipped => dryRun ? "skip" : "skipped",
        StepResult.Created => "created",
        StepResult.Failed => "FAILED",
        StepResult.Undone => "undone",
        StepResult.UndoFailed => "UNDO FAILED",
        _ => "not run",
    };

    private static string ResultName(StepResult result) => result switch
    {
        StepResult.UndoFailed => "undo_failed",
        StepResult.NotRun => "not_run",
        _ => result.ToString().ToLowerInvariant(),
    };
}
