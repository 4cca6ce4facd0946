using System.CommandLine;
using Dso.Cli.Config;

namespace Dso.Cli.Commands;

/// <summary>dso config: which dso.yaml is in use, how it was found, and the paths dso resolves.</summary>
internal static class ConfigCommand
{
    public static Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var config = new Command("config", "Show the config file in use and every path dso resolves (after environment overrides).") { json };
        config.SetAction(result =>
        {
            ConfigLocation location = context.ConfigLocation;
            LocalConfig loaded = context.Config;
            var rows = new List<(string Name, string Value)>
            {
                ("config", location.Path ?? "(none)"),
                ("config source", location.Source),
                ("home", context.Paths.Home),
                ("vault", context.Paths.VaultPath),
                ("master key", context.Paths.MasterKeyPath),
                ("secret files", context.SecretFileRoot),
                ("state", context.Paths.StateDirectory),
                ("locks", context.Paths.LockDirectory),
                ("socket", context.Paths.SocketPath),
                ("compose", loaded.ComposeCommand ?? "(detected at run time)"),
            };

            if (result.GetValue(json))
            {
                JsonOutput.Write(context.Output, writer =>
                {
                    writer.WriteStartObject();
                    foreach ((string name, string value) in rows)
                    {
                        writer.WriteString(name.Replace(' ', '_'), value);
                    }

                    writer.WriteEndObject();
                });
            }
            else
            {
                foreach ((string name, string value) in rows)
                {
                    context.Output.WriteLine($"{name + ":",-15}{value}");
                }
            }

            return 0;
        });
        return config;
    }
}
