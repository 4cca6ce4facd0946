using System.CommandLine;
using System.Reflection;
using Dso.Core;

namespace Dso.Cli.Commands;

/// <summary>The Docker CLI plugin: docker-dso in ~/.docker/cli-plugins, so that 'docker dso ...' runs dso.</summary>
internal static class PluginCommands
{
    /// <summary>Set by the installed docker-dso wrapper, so that dso drops the leading "dso" argument Docker passes.</summary>
    public const string PluginEnvironmentVariable = "DSO_DOCKER_PLUGIN";

    public static string Version =>
        typeof(PluginCommands).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    /// <summary>The response to docker-cli-plugin-metadata, in the shape the Docker CLI expects.</summary>
    public static string Metadata =>
        $$"""{"SchemaVersion":"0.1.0","Vendor":"dso","Version":"{{Version}}","ShortDescription":"Inject secrets into Docker containers at run time"}""";

    public static Command Create(CliContext context)
    {
        var directory = new Option<string>("--dir") { Description = "Plugin directory (default: $DOCKER_CONFIG/cli-plugins or ~/.docker/cli-plugins)." };
        var install = new Command("install", "Install dso as a Docker CLI plugin, so that 'docker dso' works.") { directory };
        install.SetAction(result =>
        {
            string pluginDirectory = result.GetValue(directory)
                ?? Path.Combine(context.Environment("DOCKER_CONFIG") ?? Path.Combine(context.Environment("HOME") ?? "/root", ".docker"), "cli-plugins");
            string executable = Environment.ProcessPath ?? throw new DsoException("Cannot tell where the dso executable is.");
            Directory.CreateDirectory(pluginDirectory);
            string pluginPath = Path.Combine(pluginDirectory, "docker-dso");

            // A wrapper rather than a copy, so that the plugin always runs the dso it was installed from.
            string script = $"#!/bin/sh\n{PluginEnvironmentVariable}=1 exec '{executable.Replace("'", "'\\''", StringComparison.Ordinal)}' \"$@\"\n";
            File.WriteAllText(pluginPath, script);
            File.SetUnixFileMode(pluginPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute
                | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            context.Output.WriteLine($"Installed {pluginPath}; try: docker dso version");
            return 0;
        });

        return new Command("plugin", "Manage the Docker CLI plugin.") { install };
    }

    public static Command CreateVersion(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print the version as JSON." };
        var version = new Command("version", "Print the dso version.") { json };
        version.SetAction(result =>
        {
            if (result.GetValue(json))
            {
                JsonOutput.Write(context.Output, writer =>
                {
                    writer.WriteStartObject();
                    writer.WriteString("version", Version);
                    writer.WriteString("runtime", System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription);
                    writer.WriteEndObject();
                });
            }
            else
            {
                context.Output.WriteLine($"dso {Version}");
            }

            return 0;
        });
        return version;
    }
}
