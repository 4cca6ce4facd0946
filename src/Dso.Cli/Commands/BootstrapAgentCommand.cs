using System.CommandLine;
using Dso.Agent.Configuration;
using Dso.Cli.Commands.AgentSetup;
using Dso.Core;
using Dso.Core.IO;

namespace Dso.Cli.Commands;

/// <summary>
/// dso bootstrap agent: the dso group, /etc/dso and its dso.yaml, /var/lib/dso with state and locks, and the
/// dso-agent.service unit, enabled and started where systemd runs. A failed step undoes the run's earlier steps;
/// a second run changes nothing.
/// </summary>
internal static class BootstrapAgentCommand
{
    private static readonly string[] ProviderChoices = ["local", "vault", "aws", "azure"];

    public static Command Create(CliContext context)
    {
        var provider = new Option<string>("--provider")
        {
            Description = "The provider type of the dso.yaml template: local, vault, aws or azure (asked for when interactive; default local with --non-interactive).",
        };
        provider.AcceptOnlyFromAmong(ProviderChoices);
        var nonInteractive = new Option<bool>("--non-interactive") { Description = "Apply without asking for confirmation (required when standard input is not a terminal)." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Print what would be created or kept, and change nothing." };
        var json = new Option<bool>("--json") { Description = "Print the steps and their results as JSON." };

        var agent = new Command("agent", "Set up agent mode: the dso group, /etc/dso/dso.yaml (0660 root:dso), /var/lib/dso, and the dso-agent.service systemd unit. Existing files are never overwritten.")
        {
            provider,
            nonInteractive,
            dryRun,
            json,
        };
        agent.SetAction(result => Run(context, result.GetValue(provider), result.GetValue(nonInteractive), result.GetValue(dryRun), result.GetValue(json)));
        return agent;
    }

    private static int Run(CliContext context, string? providerOption, bool nonInteractive, bool dryRun, bool json)
    {
        bool interactive = !nonInteractive && !dryRun;
        if (interactive && Console.IsInputRedirected)
        {
            throw new DsoException("dso bootstrap agent asks for confirmation, but standard input is not a terminal. Pass --non-interactive to apply without asking, or --dry-run to see the plan.") { ExitCode = 2 };
        }

        AgentSetupPlan plan = BuildPlan(context, providerOption, interactive);
        IReadOnlyList<StepPlan> plans = SetupRunner.Inspect(plan.Steps);
        foreach (string warning in plans.SelectMany(stepPlan => stepPlan.Warnings))
        {
            context.Warn(warning);
        }

        bool hasChanges = plans.Any(stepPlan => stepPlan.Action == StepAction.Create);
        if (dryRun || !hasChanges)
        {
            StepResult Unchanged(StepPlan stepPlan) => stepPlan.Action switch
            {
                StepAction.Create => StepResult.Planned,
                StepAction.Keep => StepResult.Kept,
                _ => StepResult.Skipped,
            };
            Report(context, plan, plan.Steps.Zip(plans, (step, stepPlan) => new StepOutcome(step, stepPlan, Unchanged(stepPlan))).ToList(), dryRun, json);
            return 0;
        }

        if (Libc.geteuid() != 0)
        {
            throw new DsoException("dso bootstrap agent must run as root: it creates a group, files under /etc and a systemd unit. Run it with sudo, or with --dry-run to see the plan.");
        }

        if (interactive && !Confirm(context, plan, plans))
        {
            context.Notice("Cancelled; nothing was changed.");
            return 1;
        }

        IReadOnlyList<StepOutcome> outcomes = SetupRunner.Apply(plan.Steps, plans, out Exception? failure);
        Report(context, plan, outcomes, dryRun: false, json);
        if (failure is not null)
        {
            throw new DsoException(DescribeFailure(outcomes), failure);
        }

        return 0;
    }

    private static AgentSetupPlan BuildPlan(CliContext context, string? providerOption, bool interactive)
    {
        AgentPaths paths = AgentPaths.Resolve(context.Environment);
        if (!SystemGroups.IsValidName(paths.Group))
        {
            throw new DsoException($"DSO_GROUP is \"{paths.Group}\", which is not a valid group name: use lower-case letters, digits, '_' and '-', starting with a letter, at most 32 characters.") { ExitCode = 2 };
        }

        string? otherConfig = !string.IsNullOrEmpty(context.ConfigOption) ? Path.GetFullPath(context.ConfigOption) : context.Environment("DSO_CONFIG") is { Length: > 0 } fromEnvironment ? Path.GetFullPath(fromEnvironment) : null;
        if (otherConfig is not null && otherConfig != paths.ConfigPath)
        {
            throw new DsoException($"dso bootstrap agent writes {paths.ConfigPath}, but --config or DSO_CONFIG names {otherConfig}. Remove the option, or set DSO_ETC_DIR to the directory that should hold dso.yaml.") { ExitCode = 2 };
        }

        var loadOptions = new AgentConfigLoadOptions
        {
            Environment = context.Environment,
            RequireVariables = false,
            EtcDirectory = paths.EtcDirectory,
            LocalModeConfigPath = context.Paths.LocalConfigPath,
        };
        string executable = Environment.ProcessPath ?? throw new DsoException("The path of the running dso executable is unknown, so the systemd unit cannot name it.");
        bool dockerGroupExists = SystemGroups.FindId("docker") is not null;

        if (File.Exists(paths.ConfigPath))
        {
            AgentConfig existing;
            try
            {
                existing = AgentConfigLoader.Load(paths.ConfigPath, loadOptions);
            }
            catch (AgentConfigException exception)
            {
                throw new DsoException($"{paths.ConfigPath} exists and is kept, but the agent would reject it:{Environment.NewLine}{exception.Message}{Environment.NewLine}Fix it, or move it aside to get a fresh template, and run 'dso bootstrap agent' again. Nothing was changed.", exception);
            }

            if (providerOption is not null)
            {
                context.Warn($"--provider {providerOption} has no effect: {paths.ConfigPath} exists and is kept as it is.");
            }

            // The existing file's agent: section decides where state and locks go, unless the environment overrides it.
            AgentPaths configured = AgentPaths.Resolve(context.Environment, existing.Agent);
            return AgentSetupPlan.Create(configured, existing, configTemplate: null, executable, dockerGroupExists);
        }

        var type = (ProviderType)Array.IndexOf(ProviderChoices, providerOption ?? (interactive ? AskProvider(context) : "local"));
        string template = AgentConfigTemplate.Render(type, paths);

        // The template goes through the same loader as the agent, so setup never writes a file the agent rejects.
        AgentConfig config = AgentConfigLoader.Parse(paths.ConfigPath, template, loadOptions);
        return AgentSetupPlan.Create(paths, config, template, executable, dockerGroupExists);
    }

    private static string AskProvider(CliContext context)
    {
        while (true)
        {
            context.Error.Write($"Provider for dso.yaml ({string.Join(", ", ProviderChoices)}) [local]: ");
            string answer = (Console.ReadLine() ?? throw new DsoException("No provider was chosen (end of input); nothing was changed.")).Trim();
            if (answer.Length == 0)
            {
                return "local";
            }

            if (ProviderChoices.Contains(answer))
            {
                return answer;
            }

            context.Error.WriteLine($"\"{answer}\" is not one of {string.Join(", ", ProviderChoices)}.");
        }
    }

    private static bool Confirm(CliContext context, AgentSetupPlan plan, IReadOnlyList<StepPlan> plans)
    {
        context.Error.WriteLine("dso bootstrap agent will:");
        foreach ((SetupStep step, StepPlan stepPlan) in plan.Steps.Zip(plans).Where(pair => pair.Second.Action == StepAction.Create))
        {
            context.Error.WriteLine($"  create {step.Kind} {step.Target} ({stepPlan.Detail})");
        }

        context.Error.Write("Apply these changes? [y/N] ");
        string answer = (Console.ReadLine() ?? "").Trim();
        return answer is "y" or "Y" or "yes" or "Yes";
    }

    private static string DescribeFailure(IReadOnlyList<StepOutcome> outcomes)
    {
        StepOutcome failed = outcomes.First(outcome => outcome.Result == StepResult.Failed);
        List<StepOutcome> stuck = outcomes.Where(outcome => outcome.Result == StepResult.UndoFailed).ToList();
        string undo = stuck.Count == 0
            ? "Every change of this run was undone."
            : $"Undoing failed for {string.Join("; ", stuck.Select(outcome => $"{outcome.Step.Kind} {outcome.Step.Target} ({outcome.Error})"))}: remove these by hand.";
        return $"Setting up agent mode failed at {failed.Step.Kind} {failed.Step.Target}: {failed.Error} {undo}";
    }

    private static void Report(CliContext context, AgentSetupPlan plan, IReadOnlyList<StepOutcome> outcomes, bool dryRun, bool json)
    {
        bool changed = outcomes.Any(outcome => outcome.Result == StepResult.Created);
        bool configCreated = outcomes.Any(outcome => outcome.Result == StepResult.Created && outcome.Step.Target == plan.Paths.ConfigPath);
        if (json)
        {
            BootstrapAgentReport.WriteJson(context.Output, plan, outcomes, dryRun, changed, configCreated);
            return;
        }

        BootstrapAgentReport.WriteText(context.Output, plan, outcomes, dryRun, changed, configCreated);
    }
}
