using System.Text;
using Dso.Compose.Model;
using Dso.Compose.Override;
using Dso.Compose.References;
using Dso.Core;
using Dso.Docker.Compose;
using Dso.Docker.Engine;
using Dso.Docker.SecretFiles;
using Dso.Vault.Format;

namespace Dso.Cli.Commands;

/// <summary>
/// dso up and dso down. Their arguments are Compose's own, so they are parsed here rather than by
/// System.CommandLine: the project options are read, and everything else goes to Compose in order.
/// </summary>
internal static class ComposeCommands
{
    public const string UpHelp = """
        Usage: dso up [-f FILE]... [-p NAME] [--project-directory DIR] [--env-file FILE] [COMPOSE UP OPTIONS] [SERVICE...]

        Resolve every dso:// and dsofile:// reference of the compose project from the local vault, then run
        'docker compose up' (or docker-compose) with the same arguments. dso://NAME puts the value in the
        environment variable; dsofile://NAME puts it in a read-only file on tmpfs mounted at /run/secrets/dso/NAME
        and sets the variable to that path. Options of a file reference: dsofile://NAME?uid=N&gid=N&mode=0440.
        """;

    public const string DownHelp = """
        Usage: dso down [-f FILE]... [-p NAME] [COMPOSE DOWN OPTIONS]

        Run 'docker compose down' on the project, then remove the project's secret files.
        """;

    public static async Task<int> UpAsync(CliContext context, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (arguments.Contains("--help") || arguments.Contains("-h"))
        {
            context.Output.WriteLine(UpHelp);
            return 0;
        }

        ComposeArguments composeArguments = ComposeArguments.Parse(arguments);
        ComposeProject project = new ComposeProjectLoader(context.WorkingDirectory, context.Environment).Load(composeArguments);
        ComposeCli compose = ComposeCli.Detect(context.ComposeEnvironment);
        List<SecretUse> uses = project.AllUses.ToList();

        // Every reference is resolved before anything starts, so a missing secret starts nothing.
        CheckFileOptionsAgree(project);
        Dictionary<string, byte[]> values = uses.Count > 0 ? ResolveValues(context, uses) : [];

        var store = new SecretFileStore(context.SecretFileRoot, context.AllowDiskBackedSecretFiles);
        OverrideFile overrideFile = OverrideFile.Build(project, service => store.ServiceDirectory(project.Name, service));
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string placeholder, string secretName) in overrideFile.Placeholders)
        {
            environment[placeholder] = ToEnvironmentValue(placeholder, secretName, values[secretName], uses);
        }

        // Secret files are written only once every check has passed, so a failed dso up leaves no plaintext behind.
        List<PlannedFile> plannedFiles = await PlanSecretFilesAsync(context, project, cancellationToken);
        string projectDirectory = store.PrepareProject(project.Name);
        WriteSecretFiles(project, store, plannedFiles, values);

        // docker-compose 1.29.2 rejects an override that lists no service. Without a version key it reads as a
        // version 1 file, and with one its services key is null. A project that uses no secret gets no override.
        string overridePath = Path.Combine(projectDirectory, "compose.dso.yml");
        List<string> files = [.. project.Files];
        if (uses.Count > 0)
        {
            File.WriteAllText(overridePath, overrideFile.Text, new UTF8Encoding(false));
            File.SetUnixFileMode(overridePath, Core.IO.FileModes.PrivateFile);
            files.Add(overridePath);
        }
        else
        {
            File.Delete(overridePath);
        }

        if (overrideFile.Placeholders.Count > 0)
        {
            context.Notice($"note: project \"{project.Name}\" receives dso:// secrets as environment variables, whose values are visible in 'docker inspect' and kept by Docker in its data root. Use dsofile:// for secrets that must not be.");
        }

        return await compose.RunAsync(
            BuildArguments(project, composeArguments, files, "up"),
            context.WorkingDirectory,
            environment,
            cancellationToken);
    }

    public static async Task<int> DownAsync(CliContext context, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        if (arguments.Contains("--help") || arguments.Contains("-h"))
        {
            context.Output.WriteLine(DownHelp);
            return 0;
        }

        ComposeArguments composeArguments = ComposeArguments.Parse(arguments);
        ComposeProject project = new ComposeProjectLoader(context.WorkingDirectory, context.Environment).Load(composeArguments);
        ComposeCli compose = ComposeCli.Detect(context.ComposeEnvironment);

        int exitCode = await compose.RunAsync(
            BuildArguments(project, composeArguments, project.Files, "down"),
            context.WorkingDirectory,
            new Dictionary<string, string>(),
            cancellationToken);
        if (exitCode != 0)
        {
            context.Warn($"{compose.DisplayName} down failed (exit code {exitCode}), so the secret files of project \"{project.Name}\" were kept for the containers that may still run. Run dso down again once it succeeds.");
            return exitCode;
        }

        var store = new SecretFileStore(context.SecretFileRoot, allowDiskBacked: true);
        int removed = store.RemoveProject(project.Name);
        context.Notice($"removed {removed} secret files of project \"{project.Name}\".");
        return exitCode;
    }

    private static Dictionary<string, byte[]> ResolveValues(CliContext context, List<SecretUse> uses)
    {
        VaultDocument document = context.OpenVault().Load();
        var missing = new List<string>();
        var values = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (SecretUse use in uses)
        {
            if (document.Entries.TryGetValue(use.Reference.SecretName, out VaultEntry? entry))
            {
                values[use.Reference.SecretName] = entry.Value;
            }
            else
            {
                missing.Add($"  secret \"{use.Reference.SecretName}\" used by service \"{use.Service}\" (variable {use.Variable}) at {use.SourceFile}:{use.Line}");
            }
        }

        if (missing.Count > 0)
        {
            throw new DsoException(
                $"{missing.Count} referenced secrets are not in the vault {context.Paths.VaultPath}; nothing was started:\n" +
                string.Join('\n', missing) +
                "\nAdd each with: dso secret set NAME < value-file");
        }

        return values;
    }

    /// <summary>
    /// Rejects a service that references one file secret twice with different owner or mode options, because both
    /// variables point at the same file and only one set of options could apply.
    /// </summary>
    private static void CheckFileOptionsAgree(ComposeProject project)
    {
        foreach (ServiceSecrets service in project.Services)
        {
            var first = new Dictionary<string, SecretUse>(StringComparer.Ordinal);
            foreach (SecretUse use in service.Uses.Where(use => use.Reference.Kind == InjectionKind.File))
            {
                // A file secret "a" and a file secret "a/b" would need "a" to be both a file and a directory.
                SecretUse? nested = first.Values.FirstOrDefault(other =>
                    other.Reference.SecretName.StartsWith(use.Reference.SecretName + "/", StringComparison.Ordinal)
                    || use.Reference.SecretName.StartsWith(other.Reference.SecretName + "/", StringComparison.Ordinal));
                if (nested is not null)
                {
                    throw new DsoException(
                        $"Service \"{service.Service}\" uses the file secrets \"{nested.Reference.SecretName}\" and \"{use.Reference.SecretName}\", " +
                        $"but one would have to be both a file and a directory under {OverrideFile.ContainerSecretDirectory} ({nested.Location} and {use.Location}). Rename one of them, or deliver one with dso://.");
                }

                if (!first.TryGetValue(use.Reference.SecretName, out SecretUse? earlier))
                {
                    first[use.Reference.SecretName] = use;
                    continue;
                }

                SecretReference a = earlier.Reference;
                SecretReference b = use.Reference;
                if (a.Uid != b.Uid || a.Gid != b.Gid || a.Mode != b.Mode)
                {
                    throw new DsoException(
                        $"Service \"{service.Service}\" uses the file secret \"{b.SecretName}\" twice with different uid, gid or mode options: " +
                        $"{earlier.Location} and {use.Location}. Both variables point at the same file; give both references the same options.");
                }
            }
        }
    }

    /// <summary>Decides owner and mode of every file secret, looking up container users where needed.</summary>
    private static async Task<List<PlannedFile>> PlanSecretFilesAsync(CliContext context, ComposeProject project, CancellationToken cancellationToken)
    {
        var users = new ContainerUserResolver(() => DockerEngine.CreateClient(context.Environment), context.Warn);
        var planned = new List<PlannedFile>();
        foreach (ServiceSecrets service in project.Services)
        {
            (int Uid, int Gid)? owner = null;
            foreach (SecretUse use in service.Uses.Where(use => use.Reference.Kind == InjectionKind.File))
            {
                SecretReference reference = use.Reference;
                if (reference.Uid is null)
                {
                    owner ??= await users.ResolveAsync(service.Service, service.User, service.Image, cancellationToken);
                }

                int uid = reference.Uid ?? owner!.Value.Uid;
                int gid = reference.Gid ?? (reference.Uid is null ? owner!.Value.Gid : reference.Uid.Value);
                planned.Add(new PlannedFile(service.Service, reference.SecretName, uid, gid, reference.Mode ?? UnixFileMode.UserRead));
            }
        }

        return planned;
    }

    private static void WriteSecretFiles(ComposeProject project, SecretFileStore store, List<PlannedFile> planned, Dictionary<string, byte[]> values)
    {
        foreach (ServiceSecrets service in project.Services)
        {
            List<PlannedFile> files = planned.Where(file => file.Service == service.Service).ToList();

            // Files of an earlier run go first, so that a stale file "a" cannot block a new directory "a/".
            store.RemoveStale(project.Name, service.Service, files.Select(file => file.SecretName).ToHashSet(StringComparer.Ordinal));
            foreach (PlannedFile file in files)
            {
                store.Write(project.Name, file.Service, file.SecretName, values[file.SecretName], file.Uid, file.Gid, file.Mode);
            }
        }
    }

    /// <summary>Turns a value into an environment string; values that an environment variable cannot carry are rejected.</summary>
    private static string ToEnvironmentValue(string placeholder, string secretName, byte[] value, List<SecretUse> uses)
    {
        SecretUse use = uses.First(candidate => candidate.Reference.SecretName == secretName && candidate.Reference.Kind == InjectionKind.Environment);
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(value);
        }
        catch (DecoderFallbackException)
        {
            throw new DsoException($"The secret \"{secretName}\" is not valid UTF-8, so it cannot be an environment variable ({use.Location}). Use dsofile://{secretName} to deliver it as a file.");
        }

        // Linux limits one NAME=value string of a process environment to 32 pages (MAX_ARG_STRLEN, 128 KiB).
        const int MaxEnvironmentString = 128 * 1024;
        if (placeholder.Length + 2 + value.Length > MaxEnvironmentString)
        {
            throw new DsoException($"The secret \"{secretName}\" is {value.Length} bytes, more than an environment variable can carry (128 KiB) ({use.Location}). Use dsofile://{secretName} to deliver it as a file.");
        }

        if (text.Contains('\0', StringComparison.Ordinal))
        {
            throw new DsoException($"The secret \"{secretName}\" contains a NUL byte, which an environment variable cannot carry ({use.Location}). Use dsofile://{secretName} to deliver it as a file.");
        }

        return text;
    }

    private static List<string> BuildArguments(ComposeProject project, ComposeArguments arguments, IEnumerable<string> files, string subcommand)
    {
        var result = new List<string>();
        foreach (string file in files)
        {
            result.Add("-f");
            result.Add(file);
        }

        result.AddRange(["--project-directory", project.Directory, "-p", project.Name]);
        foreach (string envFile in arguments.EnvFiles)
        {
            result.AddRange(["--env-file", envFile]);
        }

        foreach (string profile in arguments.Profiles)
        {
            result.AddRange(["--profile", profile]);
        }

        result.Add(subcommand);
        result.AddRange(arguments.Remaining);
        return result;
    }

    private sealed record PlannedFile(string Service, string SecretName, int Uid, int Gid, UnixFileMode Mode);
}
