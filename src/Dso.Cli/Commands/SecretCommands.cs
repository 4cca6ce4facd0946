using System.CommandLine;
using System.Text;
using Dso.Cli.Terminal;
using Dso.Compose.Env;
using Dso.Core;
using Dso.Core.Names;
using Dso.Vault.Format;
using Dso.Vault.Store;

namespace Dso.Cli.Commands;

/// <summary>dso secret set|get|list|rm|import: manage entries of the local vault.</summary>
internal static class SecretCommands
{
    public static Command Create(CliContext context)
    {
        var secret = new Command("secret", "Manage secrets in the local vault.");
        secret.Subcommands.Add(CreateSet(context));
        secret.Subcommands.Add(CreateGet(context));
        secret.Subcommands.Add(CreateList(context));
        secret.Subcommands.Add(CreateRemove(context));
        secret.Subcommands.Add(CreateImport(context));
        return secret;
    }

    private static Command CreateSet(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "Secret name, such as myapp/db/password." };

        // Takes any token after the name, so that the parser's "Unrecognized command or argument 'TOKEN'" error, which would
        // print a value typed on the command line to the terminal or a CI log, never fires for this command.
        var extra = new Argument<string[]>("extra") { Arity = ArgumentArity.ZeroOrMore, Hidden = true };
        var set = new Command("set", "Store a secret. The value is read from standard input, byte for byte (a trailing newline is kept), or typed at a prompt without echo. It is never taken from the command line.")
        {
            name,
            extra,
        };
        set.Validators.Add(result =>
        {
            if (result.GetValue(extra) is { Length: > 0 } tokens)
            {
                result.AddError($"'dso secret set' takes only the secret name, and the {tokens.Length} argument(s) after it are not shown because they may contain the value. Pass the value on standard input or type it at the hidden prompt. Nothing was stored.");
            }
        });
        set.SetAction(result =>
        {
            string secretName = result.GetValue(name)!;
            SecretName.Validate(secretName);
            byte[] value = ReadValue(secretName);
            VaultStore vault = context.OpenVault();
            long version = vault.Update(document =>
            {
                VaultStore.SetEntry(document, secretName, value, vault.Now);
                return (true, document.Entries[secretName].Version);
            });
            context.Error.WriteLine($"Stored {secretName} (version {version}, {value.Length} bytes).");
            return 0;
        });
        return set;
    }

    private static Command CreateGet(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "Secret name." };
        var get = new Command("get", "Write a secret's value to standard output, exactly as stored.") { name };
        get.SetAction(result =>
        {
            string secretName = result.GetValue(name)!;
            SecretName.Validate(secretName);
            VaultStore vault = context.OpenVault();
            VaultEntry entry = vault.LoadEntry(secretName) ?? throw NotFound(secretName, vault.VaultPath);
            using Stream stdout = Console.OpenStandardOutput();
            stdout.Write(entry.Value);
            stdout.Flush();
            return 0;
        });
        return get;
    }

    private static Command CreateList(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print names and metadata as JSON." };
        var list = new Command("list", "List secret names and metadata; values are never shown.") { json };
        list.Aliases.Add("ls");
        list.SetAction(result =>
        {
            VaultStore vault = context.OpenVault();
            VaultDocument document = vault.Load();
            foreach (string problem in vault.FindPermissionProblems())
            {
                context.Warn(problem);
            }

            if (result.GetValue(json))
            {
                JsonOutput.Write(context.Output, writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("vault", vault.VaultPath);
                    writer.WriteNumber("revision", document.Revision);
                    writer.WriteStartArray("secrets");
                    foreach ((string secretName, VaultEntry entry) in document.Entries)
                    {
                        writer.WriteStartObject();
                        writer.WriteString("name", secretName);
                        writer.WriteNumber("version", entry.Version);
                        writer.WriteNumber("bytes", entry.Value.Length);
                        writer.WriteString("created", entry.Created);
                        writer.WriteString("updated", entry.Updated);
                        writer.WriteEndObject();
                    }

                    writer.WriteEndArray();
                    writer.WriteEndObject();
                });
                return 0;
            }

            if (document.Entries.Count == 0)
            {
                context.Output.WriteLine($"The vault {vault.VaultPath} is empty. Add a secret with: dso secret set NAME");
                return 0;
            }

            int width = Math.Max(4, document.Entries.Keys.Max(key => key.Length));
            context.Output.WriteLine($"{"NAME".PadRight(width)}  VERSION  BYTES  UPDATED");
            foreach ((string secretName, VaultEntry entry) in document.Entries)
            {
                context.Output.WriteLine(FormattableString.Invariant($"{secretName.PadRight(width)}  {entry.Version,7}  {entry.Value.Length,5}  {entry.Updated:yyyy-MM-dd HH:mm:ss}Z"));
            }

            return 0;
        });
        return list;
    }

    private static Command CreateRemove(CliContext context)
    {
        var name = new Argument<string>("name") { Description = "Secret name." };
        var remove = new Command("rm", "Remove a secret from the vault.") { name };
        remove.SetAction(result =>
        {
            string secretName = result.GetValue(name)!;
            SecretName.Validate(secretName);
            VaultStore vault = context.OpenVault();
            bool removed = vault.Update(document => document.Entries.Remove(secretName) ? (true, true) : (false, false));
            if (!removed)
            {
                throw NotFound(secretName, vault.VaultPath);
            }

            context.Error.WriteLine($"Removed {secretName}.");
            return 0;
        });
        return remove;
    }

    private static Command CreateImport(CliContext context)
    {
        var file = new Argument<string>("file") { Description = "A .env file, read the way Docker Compose reads .env files." };
        var prefix = new Option<string>("--prefix") { Description = "Prepended to each variable name to form the secret name, for example myapp/." };
        var json = new Option<bool>("--json") { Description = "Print the imported names as JSON." };
        var import = new Command("import", "Import every variable of a .env file as a secret, in one vault write.") { file, prefix, json };
        import.SetAction(result =>
        {
            string path = Path.GetFullPath(result.GetValue(file)!, context.WorkingDirectory);
            string namePrefix = result.GetValue(prefix) ?? string.Empty;
            if (!File.Exists(path))
            {
                throw new DsoException($"The file {path} was not found.");
            }

            DotEnvDocument document = DotEnvParser.Parse(File.ReadAllBytes(path), path, context.Environment);
            foreach (DotEnvWarning warning in document.Warnings)
            {
                context.Warn($"{path}:{warning.Line}: {warning.Message}");
            }

            var values = new List<(string Name, byte[] Value)>();
            foreach (DotEnvEntry entry in document.Entries)
            {
                if (entry.Value is null)
                {
                    context.Warn($"{path}:{entry.Line}: {entry.Key} has no value (a bare name means unset); it was skipped.");
                    continue;
                }

                string secretName = namePrefix + entry.Key;
                if (!SecretName.IsValid(secretName))
                {
                    throw new DsoException($"{path}:{entry.Line}: {SecretName.Quote(secretName)} is not a valid secret name; nothing was imported. Use --prefix with letters, digits, '.', '_', '-' and '/'.");
                }

                values.Add((secretName, Encoding.UTF8.GetBytes(entry.Value)));
            }

            VaultStore vault = context.OpenVault();
            vault.Update(vaultDocument =>
            {
                foreach ((string secretName, byte[] value) in values)
                {
                    VaultStore.SetEntry(vaultDocument, secretName, value, vault.Now);
                }

                return (values.Count > 0, 0);
            });

            if (result.GetValue(json))
            {
                JsonOutput.Write(context.Output, writer =>
                {
                    writer.WriteStartObject();
                    JsonOutput.WriteStrings(writer, "imported", values.Select(value => value.Name));
                    writer.WriteEndObject();
                });
            }
            else
            {
                context.Output.WriteLine($"Imported {values.Count} secrets from {path}.");
            }

            return 0;
        });
        return import;
    }

    /// <summary>Reads a value from standard input as raw bytes, or from the terminal without echo.</summary>
    private static byte[] ReadValue(string secretName)
    {
        if (Console.IsInputRedirected)
        {
            using Stream stdin = Console.OpenStandardInput();
            using var buffer = new MemoryStream();
            stdin.CopyTo(buffer);
            return buffer.ToArray();
        }

        string typed = Prompt.ReadHidden($"Value for {secretName} (input is hidden): ");
        return Encoding.UTF8.GetBytes(typed);
    }

    private static DsoException NotFound(string secretName, string vaultPath) =>
        new($"The secret {SecretName.Quote(secretName)} was not found in {vaultPath}. List the names with: dso secret list");
}
