using System.CommandLine;
using Dso.Agent.Configuration;

namespace Dso.Cli.Commands;

/// <summary>
/// The --timeout option of the commands that wait on a provider or the agent. It takes a dso.yaml duration such as
/// 30s or 2m and rejects anything else, zero, or more than 24 days, before the command runs.
/// </summary>
internal static class TimeoutOption
{
    // The maximum delay that .NET timers accept is int.MaxValue milliseconds, about 24.8 days.
    private static readonly TimeSpan Maximum = TimeSpan.FromDays(24);

    /// <param name="description">What the limit applies to and its default, shown in --help.</param>
    public static Option<string> Create(string description)
    {
        var timeout = new Option<string>("--timeout") { Description = description };
        timeout.Validators.Add(result =>
        {
            if (result.GetValue(timeout) is not { } text)
            {
                return;
            }

            if (!Duration.TryParse(text, out TimeSpan parsed) || parsed <= TimeSpan.Zero)
            {
                result.AddError($"--timeout must be a positive duration such as 30s, 2m or 1h, not \"{text}\".");
            }
            else if (parsed > Maximum)
            {
                result.AddError($"--timeout must be at most {Duration.Format(Maximum)}, not \"{text}\".");
            }
        });
        return timeout;
    }

    /// <summary>The parsed value of <paramref name="timeout"/>, or <paramref name="fallback"/> when it was not given.</summary>
    public static TimeSpan GetValue(ParseResult result, Option<string> timeout, TimeSpan fallback) =>
        result.GetValue(timeout) is { } text && Duration.TryParse(text, out TimeSpan parsed) ? parsed : fallback;
}
