using System.CommandLine;
using Dso.Cli.Migration;
using Dso.Cli.Terminal;
using Dso.Compose.Diagnostics;
using Dso.Compose.Migration;
using Dso.Compose.Model;
using Dso.Compose.Secrets;
using Dso.Compose.Source;
using Dso.Compose.Yaml;
using Dso.Core.IO;
using Dso.Core;
using Dso.Docker.Compose;
using Dso.Vault.Format;
using Dso.Vault.Store;

namespace Dso.Cli.Commands;

/// <summary>
/// dso migrate: moves the plaintext secrets of an existing Compose project into the vault and writes a migrated copy
/// of each compose file that needs one (docker-compose.yml gives docker-compose.dso.yml) with dso:// and dsofile://
/// references. The original files are never modified.
/// </summary>
internal static class MigrateCommand
{
    public static Command Create(CliContext context)
    {
        var dryRun = new Option<bool>("--dry-run") { Description = "Show the plan and change nothing: no vault write, no file." };
        var files = new Option<string[]>("--file", "-f") { Description = "A compose file, as for docker compose -f (repeatable; default: compose discovery in the current directory)." };
        var envFile = new Option<string[]>("--env-file") { Description = "The env file Compose interpolates with, as for docker compose --env-file (default: .env of the project)." };
        var project = new Option<string>("--project") { Description = "The first segment of every vault name (default: the Compose project name)." };
        var projectDirectory = new Option<string>("--project-directory") { Description = "The project directory, as for docker compose --project-directory." };
        var secret = new Option<string[]>("--secret") { Description = "Treat this variable as a secret whatever its name (repeatable)." };
        var plain = new Option<string[]>("--plain") { Description = "Leave this variable as plain configuration whatever its name (repeatable)." };
        var asFile = new Option<string[]>("--as-file") { Description = "Deliver this secret as a file: VAR becomes VAR_FILE=dsofile://... (repeatable; for images that read VAR_FILE, such as postgres and mysql)." };
        var force = new Option<bool>("--force") { Description = "Replace vault entries and migrated files that differ from what this run writes." };
        var json = new Option<bool>("--json") { Description = "Print the plan as JSON." };

        var migrate = new Command("migrate", Description)
        {
            dryRun, files, envFile, project, projectDirectory, secret, plain, asFile, force, json,
        };
        migrate.SetAction((result, cancellationToken) => RunAsync(
            context,
            new MigrateRequest
            {
                DryRun = result.GetValue(dryRun),
                Files = result.GetValue(files) ?? [],
                EnvFiles = result.GetValue(envFile) ?? [],
                Project = result.GetValue(project),
                ProjectDirectory = result.GetValue(projectDirectory),
                Secret = [.. result.GetValue(secret) ?? []],
                Plain = [.. result.GetValue(plain) ?? []],
                AsFile = [.. result.GetValue(asFile) ?? []],
                Force = result.GetValue(force),
                Json = result.GetValue(json),
            },
            cancellationToken));
        return migrate;
    }

    private static string Description => $"""
        Move the plaintext secrets of a Compose project into the vault and write docker-compose.dso.yml beside
        docker-compose.yml (one migrated copy per compose file that changes) with dso:// and dsofile:// references.
        The original files are never modified. First the plan is shown: which values become vault entries, which
        stay plain configuration, which services change. The values are those Compose itself computes
        ('docker compose config'), so each container receives the same bytes after the migration. A second run
        changes nothing. Once you remove the plaintext values, the migrated file is the one to edit: a later run
        reuses vault entries for references to variables that are gone, but cannot see env_file lines that are
        gone.

        Vault names are PROJECT/VAR: VAR is the .env variable a value comes from (so services that share a secret
        share one entry), the env_file key, or the container's variable. A secret is delivered as a file
        (dsofile://) when its variable is named *_FILE or --as-file names it; otherwise as dso://.

        {SecretClassifier.RuleText}
        """;

    private static async Task<int> RunAsync(CliContext context, MigrateRequest request, CancellationToken cancellationToken)
    {
        var composeArguments = new ComposeArguments
        {
            Files = request.Files,
            EnvFiles = request.EnvFiles,
            ProjectDirectory = request.ProjectDirectory,
        };
        ComposeLayout layout = new ComposeProjectLoader(context.WorkingDirectory, context.Environment).ResolveLayout(composeArguments);
        string project = request.Project ?? layout.ProjectName;
        if (!Core.Names.SecretName.IsValid(project) || project.Contains('/', StringComparison.Ordinal))
        {
            throw new DsoException($"--project \"{project}\" is not a valid vault name segment; use letters, digits, '.', '_' and '-'.") { ExitCode = 2 };
        }

        ComposeSource source = ComposeSourceReader.Read(layout);
        (IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>>? composeEnvironment, string? composeName) =
            await AskComposeAsync(context, layout, source, composeArguments, cancellationToken);

        VaultStore vault = context.OpenVault();
        if (!vault.Exists && !request.DryRun)
        {
            throw new DsoException($"The vault {vault.VaultPath} does not exist, so nothing was migrated. Run 'dso bootstrap local' first, or 'dso migrate --dry-run' to see the plan.");
        }

        IReadOnlyDictionary<string, byte[]>? existing = vault.Exists
            ? vault.Load().Entries.ToDictionary(entry => entry.Key, entry => entry.Value.Value, StringComparer.Ordinal)
            : null;

        MigrationPlan plan = MigrationPlanner.Plan(source, new MigrationOptions
        {
            Project = project,
            Secret = request.Secret,
            Plain = request.Plain,
            AsFile = request.AsFile,
            VaultEntries = existing,
            Force = request.Force,
            ComposeEnvironment = composeEnvironment,
            ComposeName = composeName ?? "dso",
        });

        bool apply = !request.DryRun && !plan.HasErrors;
        var written = new List<string>();
        int stored = 0;
        if (apply)
        {
            stored = StoreSecrets(vault, plan, request.Force);
            written = WriteFiles(plan);
        }

        if (request.Json)
        {
            JsonOutput.Write(context.Output, writer => MigrationPlanJson.Write(writer, plan, composeName, request.DryRun, apply));
        }
        else
        {
            MigrationPlanText.Write(context.Output, plan, context.WorkingDirectory, composeName ?? "dso (Compose v2 rules)");
            if (apply)
            {
                context.Output.WriteLine();
                context.Output.WriteLine(Summary(context, vault, stored, written));
                MigrationPlanText.WriteNextSteps(context.Output, plan, context.WorkingDirectory);
            }
        }

        if (plan.HasErrors)
        {
            context.Error.WriteLine($"dso: errors in the plan: {plan.Findings.Count(finding => finding.Severity == FindingSeverity.Error)} (listed above); nothing was changed.");
            return 1;
        }

        if (request.DryRun)
        {
            context.Error.WriteLine("dso: dry run; nothing was changed.");
        }

        return 0;
    }

    /// <summary>
    /// Runs Compose's own 'config' on the project. Without Compose, or when it fails, migrate goes on with dso's
    /// reading and prints a warning.
    /// </summary>
    private static async Task<(IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>>?, string?)> AskComposeAsync(
        CliContext context, ComposeLayout layout, ComposeSource source, ComposeArguments arguments, CancellationToken cancellationToken)
    {
        ComposeCli compose;
        try
        {
            compose = ComposeCli.Detect(context.ComposeEnvironment);
        }
        catch (DsoException exception)
        {
            context.Warn($"{exception.Message} migrate reads the values itself with Compose v2 rules, which can differ from what your Compose gives the containers.");
            return (null, null);
        }

        // Both runs start Python for docker-compose 1.x (about half a second each here), so they run side by side.
        Task<string> name = ComposeConfigReader.DescribeAsync(compose, context.WorkingDirectory, cancellationToken);
        var request = new ComposeConfigRequest(
            layout.Files,
            layout.ProjectDirectory,
            layout.ProjectName,
            arguments.EnvFiles.Select(file => Path.GetFullPath(file, context.WorkingDirectory)).ToList(),
            source.Services.SelectMany(service => service.Profiles).Distinct(StringComparer.Ordinal).ToList(),
            context.WorkingDirectory);
        try
        {
            IReadOnlyDictionary<string, IReadOnlyDictionary<string, string?>> environment = await ComposeConfigReader.ReadEnvironmentAsync(compose, request, cancellationToken);
            return (environment, await name);
        }
        catch (ComposeConfigException exception)
        {
            await name;
            context.Warn($"{exception.Message} migrate reads the values itself with Compose v2 rules instead.");
            return (null, null);
        }
    }

    /// <summary>Stores every new or replaced entry in one vault write. A conflict that appeared after the plan was made changes nothing.</summary>
    private static int StoreSecrets(VaultStore vault, MigrationPlan plan, bool force)
    {
        List<PlannedSecret> toStore = plan.Secrets.Where(secret => secret.Status is VaultEntryStatus.Create or VaultEntryStatus.Replace).ToList();
        if (toStore.Count == 0)
        {
            return 0;
        }

        return vault.Update(document =>
        {
            foreach (PlannedSecret secret in toStore)
            {
                byte[] value = secret.Bytes!;
                if (!force && document.Entries.TryGetValue(secret.Name, out VaultEntry? current) && !current.Value.AsSpan().SequenceEqual(value))
                {
                    throw new DsoException($"{secret.Name} was stored in the vault by another process while migrate ran; nothing was changed. Run migrate again.");
                }
            }

            foreach (PlannedSecret secret in toStore)
            {
                VaultStore.SetEntry(document, secret.Name, secret.Bytes!, vault.Now);
            }

            return (true, toStore.Count);
        });
    }

    private static List<string> WriteFiles(MigrationPlan plan)
    {
        var written = new List<string>();
        foreach (MigratedFile file in plan.Files.Where(file => file.Status is MigratedFileStatus.Create or MigratedFileStatus.Replace))
        {
            UnixFileMode mode = File.GetUnixFileMode(file.OriginalPath);
            AtomicFile.Write(file.OutputPath, YamlSourceDocument.Encode(file.Text, file.HasByteOrderMark), mode);
            written.Add(file.OutputPath);
        }

        return written;
    }

    private static string Summary(CliContext context, VaultStore vault, int stored, List<string> written)
    {
        string secrets = stored == 0 ? "the vault already held every secret" : $"stored {stored} secrets in {vault.VaultPath} (one write)";
        string files = written.Count == 0 ? "the migrated files were already up to date" : $"wrote {string.Join(", ", written.Select(path => DisplayPaths.Relative(context.WorkingDirectory, path)))}";
        return $"Done: {secrets}; {files}.";
    }

    private sealed record MigrateRequest
    {
        public bool DryRun { get; init; }

        public required IReadOnlyList<string> Files { get; init; }

        public required IReadOnlyList<string> EnvFiles { get; init; }

        public string? Project { get; init; }

        public string? ProjectDirectory { get; init; }

        public required HashSet<string> Secret { get; init; }

        public required HashSet<string> Plain { get; init; }

        public required HashSet<string> AsFile { get; init; }

        public bool Force { get; init; }

        public bool Json { get; init; }
    }
}
