namespace Dso.Agent.Configuration;

/// <summary>The signals a rotation may send to a container, by their Linux names.</summary>
internal static class SignalNames
{
    public const string Default = "SIGHUP";

    /// <summary>Signals that ask a process to reload or that are free for applications to use.</summary>
    public static readonly IReadOnlyList<string> Accepted =
    [
        "SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGTERM", "SIGWINCH", "SIGCONT",
    ];

    /// <summary>Returns the SIG-prefixed name for "SIGHUP" or "HUP", or null if it is not accepted. Names are upper case, as in signal(7).</summary>
    public static string? Normalize(string name)
    {
        string full = name.StartsWith("SIG", StringComparison.Ordinal) ? name : "SIG" + name;
        return Accepted.Contains(full) ? full : null;
    }
}
