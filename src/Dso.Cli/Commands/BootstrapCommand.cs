using System.CommandLine;
using Dso.Cli.Terminal;
using Dso.Core;
using Dso.Vault.Format;
using Dso.Vault.Keys;

namespace Dso.Cli.Commands;

/// <summary>dso bootstrap local (alias dso init): the dso home, a master key or passphrase, and an empty vault.</summary>
internal static class BootstrapCommand
{
    public static Command Create(CliContext context)
    {
        var passphrase = new Option<bool>("--passphrase")
        {
            Description = "Derive the vault key from a passphrase with Argon2id instead of a random key file (read from DSO_PASSPHRASE or asked for without echo).",
        };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };

        var local = new Command("local", "Create ~/.dso (0700), a master key (0600) and an empty vault (0600). Existing files are never overwritten.")
        {
            passphrase,
            json,
        };
        local.SetAction(result => Run(context, result.GetValue(passphrase), result.GetValue(json)));

        var bootstrap = new Command("bootstrap", "Set dso up on this machine.") { local };
        return bootstrap;
    }

    /// <summary>dso init: the short form of dso bootstrap local.</summary>
    public static Command CreateInit(CliContext context)
    {
        var passphrase = new Option<bool>("--passphrase") { Description = "Derive the vault key from a passphrase with Argon2id." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var init = new Command("init", "Same as dso bootstrap local.") { passphrase, json };
        init.SetAction(result => Run(context, result.GetValue(passphrase), result.GetValue(json)));
        return init;
    }

    private static int Run(CliContext context, bool usePassphrase, bool json)
    {
        var paths = context.Paths;
        var created = new List<string>();
        var kept = new List<string>();

        const UnixFileMode privateDirectory = Core.IO.FileModes.PrivateDirectory;
        if (!Directory.Exists(paths.Home))
        {
            Directory.CreateDirectory(paths.Home, privateDirectory);
            created.Add(paths.Home);
        }
        else
        {
            kept.Add(paths.Home);
        }

        bool vaultExists = File.Exists(paths.VaultPath);
        bool keyExists = File.Exists(paths.MasterKeyPath);
        if (vaultExists)
        {
            // Opening the vault proves that the key beside it still matches; nothing is changed either way.
            _ = context.OpenVault().Load();
            kept.Add(paths.VaultPath);
            if (keyExists)
            {
                kept.Add(paths.MasterKeyPath);
            }
        }
        else if (usePassphrase)
        {
            string passphrase = Passphrases.ReadNew(context.Environment, "DSO_PASSPHRASE");

            new Vault.Store.VaultStore(paths, () => new PassphraseKeySource(() => passphrase), context.Time)
                .Create(KdfKind.Argon2idPassphrase, Argon2Parameters.Default);
            created.Add(paths.VaultPath);
        }
        else
        {
            // The key is stored before the vault exists, so no vault is ever created whose key could not be kept.
            if (!keyExists)
            {
                MasterKeyFile.CreateNew(paths.MasterKeyPath);
                created.Add(paths.MasterKeyPath);
            }
            else
            {
                _ = MasterKeyFile.Read(paths.MasterKeyPath);
                kept.Add(paths.MasterKeyPath);
            }

            context.OpenVault().Create(KdfKind.KeyFile, Argon2Parameters.None);
            created.Add(paths.VaultPath);
        }

        foreach (string problem in context.OpenVault().FindPermissionProblems())
        {
            context.Warn(problem);
        }

        if (json)
        {
            JsonOutput.Write(context.Output, writer =>
            {
                writer.WriteStartObject();
                writer.WriteString("home", paths.Home);
                JsonOutput.WriteStrings(writer, "created", created);
                JsonOutput.WriteStrings(writer, "kept", kept);
                writer.WriteEndObject();
            });
        }
        else
        {
            foreach (string path in created)
            {
                context.Output.WriteLine($"created {path}");
            }

            foreach (string path in kept)
            {
                context.Output.WriteLine($"kept    {path} (exists already)");
            }

            if (created.Contains(paths.MasterKeyPath))
            {
                context.Output.WriteLine($"Back up {paths.MasterKeyPath}: without it the vault cannot be decrypted.");
            }
        }

        return 0;
    }
}
