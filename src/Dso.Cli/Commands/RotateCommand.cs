using System.CommandLine;
using System.Text.Json;
using Dso.Agent.Api;
using Dso.Agent.Configuration;
using Dso.Agent.Runtime;
using Dso.Cli.AgentApi;
using Dso.Core;

namespace Dso.Cli.Commands;

/// <summary>dso rotate SECRET: requests a rotation of the secret from the running agent and prints each target's outcome.</summary>
internal static class RotateCommand
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromMinutes(10);

    public static Command Create(CliContext context)
    {
        var secret = new Argument<string>("secret") { Description = "The secret's name as dso.yaml declares it." };
        var json = new Option<bool>("--json") { Description = "Print the result as JSON." };
        var timeout = TimeoutOption.Create("How long to wait for the agent, as a duration such as 90s or 30m (default 10m). The agent goes on rotating after dso rotate stops waiting.");
        var rotate = new Command("rotate", "Fetch a secret now and rotate every target that does not have its current version, ignoring debounce and cooldown; waits until each rotation finished or failed. Exits 1 if any failed.")
        {
            secret,
            json,
            timeout,
        };
        rotate.SetAction((result, cancellationToken) =>
            RunAsync(context, result.GetValue(secret)!, result.GetValue(json), TimeoutOption.GetValue(result, timeout, DefaultTimeout), cancellationToken));
        return rotate;
    }

    /// <summary>True for an outcome that counts as a failed rotation: an error, or the outcome failed or rolled_back.</summary>
    public static bool IsFailure(TargetRotationResult rotation) =>
        rotation.Error is not null || rotation.Outcome is "failed" or "rolled_back";

    private static async Task<int> RunAsync(CliContext context, string secret, bool json, TimeSpan limit, CancellationToken cancellationToken)
    {
        using var client = AgentSocket.CreateClient(context);
        if (!json)
        {
            context.Notice($"rotating secret {secret}; waiting for the agent to finish every target...");
        }

        ManualRotationResult result;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(limit);
            try
            {
                result = await client.RotateAsync(secret, timeout.Token);
            }
            catch (OperationCanceledException exception) when (!cancellationToken.IsCancellationRequested)
            {
                throw new DsoException(
                    $"dso rotate stopped waiting after {Duration.Format(limit)}, but the agent on {client.SocketPath} goes on rotating secret {secret}. " +
                    $"Follow it with 'dso status' and 'dso rotations', or wait longer next time with --timeout.", exception);
            }
        }

        if (json)
        {
            JsonSerializerOptions options = new(AgentApiJsonContext.Default.Options) { WriteIndented = true };
            context.Output.WriteLine(JsonSerializer.Serialize(result, new AgentApiJsonContext(options).ManualRotationResult));
        }
        else
        {
            WriteText(context.Output, result);
        }

        return result.Error is not null || result.Rotations.Any(IsFailure) ? 1 : 0;
    }

    private static void WriteText(TextWriter output, ManualRotationResult result)
    {
        if (result.Error is not null)
        {
            output.WriteLine($"secret {result.Secret} could not be fetched, so nothing was rotated: {result.Error}");
            return;
        }

        string version = result.Version is null ? "its current version" : $"version {result.Version}";
        if (result.Rotations.Count == 0)
        {
            output.WriteLine($"secret {result.Secret}: every target already has {version}; nothing was rotated");
            return;
        }

        output.WriteLine($"secret {result.Secret}, {version}:");
        int width = result.Rotations.Max(rotation => rotation.Target.Length);
        foreach (TargetRotationResult rotation in result.Rotations)
        {
            string id = rotation.RotationId is null ? string.Empty : $"  rotation {rotation.RotationId}";
            string error = rotation.Error is null ? string.Empty : $"  error: {rotation.Error}";
            output.WriteLine($"  {rotation.Target.PadRight(width)}  {rotation.Outcome}{id}{error}");
        }

        int failed = result.Rotations.Count(IsFailure);
        if (failed > 0)
        {
            output.WriteLine($"{failed} of {result.Rotations.Count} rotations failed; see 'dso rotations --target TARGET' and the agent's log.");
        }
    }
}
