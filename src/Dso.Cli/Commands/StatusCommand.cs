using System.CommandLine;
using System.Text.Json;
using Dso.Agent.Api;
using Dso.Agent.Runtime;
using Dso.Cli.AgentApi;

namespace Dso.Cli.Commands;

/// <summary>dso status: the running agent's providers, secrets, targets and rotations in flight, from its unix socket.</summary>
internal static class StatusCommand
{
    /// <summary>ANSI cursor home and clear screen, written between snapshots of --watch on a terminal.</summary>
    private const string ClearScreen = "\u001b[H\u001b[2J";

    public static Command Create(CliContext context)
    {
        var json = new Option<bool>("--json") { Description = "Print the status as JSON; with --watch, one JSON object per line." };
        var watch = new Option<bool>("--watch") { Description = "Print the status again after every change, until Ctrl-C." };
        var status = new Command("status", "Show the running agent's providers (health), secrets (version, last check, errors), targets (container, strategy, state, applied versions) and rotations in flight.")
        {
            json,
            watch,
        };
        status.SetAction((result, cancellationToken) => RunAsync(context, result.GetValue(json), result.GetValue(watch), cancellationToken));
        return status;
    }

    private static async Task<int> RunAsync(CliContext context, bool json, bool watch, CancellationToken cancellationToken)
    {
        using var client = AgentSocket.CreateClient(context);
        if (!watch)
        {
            AgentStatus status = await client.GetStatusAsync(cancellationToken);
            Print(context, status, json, indented: true);
            return 0;
        }

        bool clear = !json && !Console.IsOutputRedirected;
        try
        {
            await foreach (AgentStatus status in client.WatchStatusAsync(cancellationToken))
            {
                if (clear)
                {
                    context.Output.Write(ClearScreen);
                }
                else if (!json)
                {
                    context.Output.WriteLine($"--- {RotationsCommand.FormatTime(context.Time.GetUtcNow())}");
                }

                Print(context, status, json, indented: false);
                await context.Output.FlushAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl-C ends --watch normally.
        }

        return 0;
    }

    private static void Print(CliContext context, AgentStatus status, bool json, bool indented)
    {
        if (!json)
        {
            StatusText.Write(context.Output, status);
            return;
        }

        JsonSerializerOptions options = new(AgentApiJsonContext.Default.Options) { WriteIndented = indented };
        context.Output.WriteLine(JsonSerializer.Serialize(status, new AgentApiJsonContext(options).AgentStatus));
    }
}
