using Dso.Core.IO;

namespace Dso.Agent.Runtime;

/// <summary>
/// Test-only crash points. When DSO_TEST_CRASH_AT names a point, the agent kills itself with SIGKILL there,
/// so that tests can prove recovery from every step of a rotation. Unset in production, it costs a string compare.
/// </summary>
internal static class FaultPoints
{
    public const string EnvironmentVariable = "DSO_TEST_CRASH_AT";

    private const int SigKill = 9;

    private static string? _armed = Environment.GetEnvironmentVariable(EnvironmentVariable);

    /// <summary>Every point the agent passes, in rotation order, for tests that visit each one.</summary>
    public static IReadOnlyList<string> All { get; } =
    [
        "planned",
        "new-container-created",
        "started",
        "healthy",
        "old-renamed",
        "swapped",
        "old-removed",
        "files-written",
    ];

    /// <summary>Kills the process when <paramref name="point"/> is the armed one.</summary>
    public static void Hit(string point)
    {
        if (_armed is not null && string.Equals(_armed, point, StringComparison.Ordinal))
        {
            _armed = null;
            Console.Out.Flush();
            _ = Libc.Kill(Environment.ProcessId, SigKill);
        }
    }
}
