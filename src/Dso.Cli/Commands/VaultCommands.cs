using System.CommandLine;
using Dso.Cli.Terminal;
using Dso.Core;
using Dso.Vault.Format;
using Dso.Vault.Keys;
using Dso.Vault.Store;

namespace Dso.Cli.Commands;

/// <summary>dso vault rekey and dso vault check.</summary>
internal static class VaultCommands
{
    public static Command Create(CliContext context)
    {
        var toPassphrase = new Option<bool>("--passphrase") { Description = "Re-encrypt under a new passphrase (from DSO_NEW_PASSPHRASE or asked for without echo)." };
        var toKeyFile = new Option<bool>("--key-file") { Description = "Re-encrypt under a new random key in master.key (the default)." };
        var rekey = new Command("rekey", "Re-encrypt the vault under a new key. The vault stays readable at every step, even if dso is killed midway.")
        {
            toPassphrase,
            toKeyFile,
        };
        rekey.SetAction(result =>
        {
            if (result.GetValue(toPassphrase) && result.GetValue(toKeyFile))
            {
                throw new DsoException("Choose one of --passphrase and --key-file.") { ExitCode = 2 };
            }

            VaultStore vault = context.OpenVault();
            if (result.GetValue(toPassphrase))
            {
                string passphrase = Passphrases.ReadNew(context.Environment, "DSO_NEW_PASSPHRASE");
                vault.Rekey(KdfKind.Argon2idPassphrase, new PassphraseKeySource(() => passphrase), Argon2Parameters.Default);
                context.Output.WriteLine($"Re-encrypted {vault.VaultPath} under the new passphrase.");
            }
            else
            {
                vault.Rekey(KdfKind.KeyFile, null, Argon2Parameters.None);
                context.Output.WriteLine($"Re-encrypted {vault.VaultPath} under a new key in {context.Paths.MasterKeyPath}. Back up the new key.");
            }

            return 0;
        });

        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var check = new Command("check", "Open the vault and report its revision, entry count and permission problems.") { json };
        check.SetAction(result =>
        {
            VaultStore vault = context.OpenVault();
            VaultDocument document = vault.Load();
            IReadOnlyList<string> problems = vault.FindPermissionProblems();
            if (result.GetValue(json))
            {
                JsonOutput.Write(context.Output, writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("vault", vault.VaultPath);
                    writer.WriteNumber("revision", document.Revision);
                    writer.WriteNumber("entries", document.Entries.Count);
                    JsonOutput.WriteStrings(writer, "permissionProblems", problems);
                    writer.WriteEndObject();
                });
            }
            else
            {
                context.Output.WriteLine($"{vault.VaultPath}: revision {document.Revision}, {document.Entries.Count} entries.");
                foreach (string problem in problems)
                {
                    context.Warn(problem);
                }
            }

            return problems.Count == 0 ? 0 : 1;
        });

        return new Command("vault", "Maintain the local vault file.") { rekey, check };
    }
}
