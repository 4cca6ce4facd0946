using System.CommandLine;
using Dso.Cli;
using Dso.Cli.Commands;
using Dso.Cli.Commands.Providers;
using Dso.Core;

// Docker runs a plugin as "docker-dso docker-cli-plugin-metadata", and "docker dso X" as "docker-dso dso X".
if (args is ["docker-cli-plugin-metadata"])
{
    Console.Out.WriteLine(PluginCommands.Metadata);
    return 0;
}

if (args.Length > 0 && args[0] == "dso" && Environment.GetEnvironmentVariable(PluginCommands.PluginEnvironmentVariable) == "1")
{
    args = args[1..];
}

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, eventArgs) =>
{
    eventArgs.Cancel = true;
    cancellation.Cancel();
};

try
{
    (args, string? configOption) = GlobalOptions.TakeConfigOption(args);
    var context = new CliContext(Environment.GetEnvironmentVariable, Console.Out, Console.Error, TimeProvider.System, configOption);

    // up and down take Compose's own arguments, which are passed on in order.
    if (args.Length > 0 && args[0] is "up" or "down")
    {
        return args[0] == "up"
            ? await ComposeCommands.UpAsync(context, args[1..], cancellation.Token)
            : await ComposeCommands.DownAsync(context, args[1..], cancellation.Token);
    }

    var root = new RootCommand("dso injects secrets from an encrypted local vault into Docker Compose containers at run time.");
    Command bootstrap = BootstrapCommand.Create(context);
    bootstrap.Subcommands.Add(BootstrapAgentCommand.Create(context));
    root.Subcommands.Add(bootstrap);
    root.Subcommands.Add(BootstrapCommand.CreateInit(context));
    root.Subcommands.Add(SecretCommands.Create(context));
    root.Subcommands.Add(VaultCommands.Create(context));
    root.Subcommands.Add(PluginCommands.Create(context));
    root.Subcommands.Add(PluginCommands.CreateVersion(context));
    root.Subcommands.Add(ConfigCommand.Create(context));
    root.Subcommands.Add(MigrateCommand.Create(context));
    root.Subcommands.Add(ValidateCommand.Create(context));
    root.Subcommands.Add(DoctorCommand.Create(context));
    root.Subcommands.Add(RotationsCommand.Create(context));
    root.Subcommands.Add(StatusCommand.Create(context));
    root.Subcommands.Add(RotateCommand.Create(context));
    root.Subcommands.Add(StateCommand.Create(context));
    root.Subcommands.Add(AgentCommand.Create(context));
    root.Subcommands.Add(ProviderCommand.Create(context));
    root.Subcommands.Add(FetchCommand.Create(context));
    root.Options.Add(new Option<string>("--config") { Description = "The dso.yaml to use (default: ./dso.yaml, then ~/.dso/dso.yaml; DSO_CONFIG also sets it)." });
    root.Subcommands.Add(new Command("up", "Resolve dso:// and dsofile:// references and run 'docker compose up' (see dso up --help)."));
    root.Subcommands.Add(new Command("down", "Run 'docker compose down' and remove the project's secret files (see dso down --help)."));

    ParseResult parsed = root.Parse(args);
    if (parsed.Errors.Count > 0)
    {
        foreach (var error in parsed.Errors)
        {
            Console.Error.WriteLine($"dso: {error.Message}");
        }

        Console.Error.WriteLine("Run 'dso --help' for usage.");
        return 2;
    }

    return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false }, cancellation.Token);
}
catch (DsoException exception)
{
    Console.Error.WriteLine($"dso: {exception.Message}");
    return exception.ExitCode;
}
catch (IOException exception)
{
    Console.Error.WriteLine($"dso: {exception.Message}");
    return 1;
}
catch (UnauthorizedAccessException exception)
{
    Console.Error.WriteLine($"dso: permission denied: {exception.Message}");
    return 1;
}
catch (HttpRequestException exception)
{
    Console.Error.WriteLine($"dso: the Docker engine did not answer ({exception.Message}). Check that dockerd runs and that DOCKER_HOST, if set, is right.");
    return 1;
}
catch (Exception exception) when (exception is not OutOfMemoryException)
{
    // A bug, not a user error: one line, no stack trace, and exit code 1 rather than the runtime's 134.
    Console.Error.WriteLine($"dso: unexpected error ({exception.GetType().Name}): {exception.Message}");
    return 1;
}
