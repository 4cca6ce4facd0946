using Dso.Agent.Runtime;

namespace Dso.Cli.Commands;

/// <summary>Prints an agent status as aligned tables: providers, secrets, targets and rotations in flight.</summary>
internal static class StatusText
{
    private const string None = "-";

    public static void Write(TextWriter output, AgentStatus status)
    {
        output.WriteLine($"dso agent: pid {status.Pid}, running since {RotationsCommand.FormatTime(status.StartedAt)}, config {status.ConfigPath}");

        output.WriteLine();
        output.WriteLine("PROVIDERS");
        WriteTable(output, ["NAME", "TYPE", "HEALTH", "SINCE"], status.Providers.Select(provider => new[]
        {
            provider.Name,
            provider.Type,
            provider.Healthy ? "healthy" : $"unhealthy: {provider.Reason ?? "no reason given"}",
            RotationsCommand.FormatTime(provider.Since),
        }));

        output.WriteLine();
        output.WriteLine("SECRETS");
        WriteTable(output, ["NAME", "PROVIDER", "VERSION", "LAST CHECK", "ERROR"], status.Secrets.Select(secret => new[]
        {
            secret.Name,
            secret.Provider,
            secret.Version ?? None,
            RotationsCommand.FormatTime(secret.LastChecked),
            secret.Error is null ? None : $"{secret.Error} ({secret.ConsecutiveErrors} in a row)",
        }));

        output.WriteLine();
        output.WriteLine("TARGETS");
        WriteTable(output, ["TARGET", "CONTAINER", "STRATEGY", "STATE", "APPLIED", "ERROR"], status.Targets.Select(target => new[]
        {
            target.Target,
            Container(target),
            target.Strategy,
            target.State,
            target.Applied.Count == 0 ? None : string.Join(", ", target.Applied.OrderBy(pair => pair.Key, StringComparer.Ordinal).Select(pair => $"{pair.Key}={pair.Value}")),
            target.LastError ?? None,
        }));

        output.WriteLine();
        output.WriteLine("ROTATIONS IN FLIGHT");
        WriteTable(output, ["ID"], status.RotationsInFlight.Select(id => new[] { id }));
    }

    private static string Container(TargetStatus target) => (target.ContainerName, target.ContainerId) switch
    {
        (null, null) => None,
        ({ } name, null) => name,
        (null, { } id) => RotationsCommand.ShortId(id),
        ({ } name, { } id) => $"{name} ({RotationsCommand.ShortId(id)})",
    };

    private static void WriteTable(TextWriter output, string[] header, IEnumerable<string[]> rows)
    {
        List<string[]> lines = [.. rows];
        if (lines.Count == 0)
        {
            output.WriteLine("  none");
            return;
        }

        lines.Insert(0, header);
        int[] widths = Enumerable.Range(0, header.Length).Select(column => lines.Max(line => line[column].Length)).ToArray();
        foreach (string[] line in lines)
        {
            string text = string.Join("  ", line.Select((cell, column) => column == line.Length - 1 ? cell : cell.PadRight(widths[column])));
            output.WriteLine($"  {text}");
        }
    }
}
