using System.Diagnostics;

namespace Dso.Cli.Tests.Infrastructure;

/// <summary>Waits for a state that something else brings about, such as a container that Docker restarts.</summary>
public static class Poll
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Checks <paramref name="condition"/> until it returns true, and fails the test with <paramref name="description"/>
    /// and the last observed state when <paramref name="timeout"/> passes first.
    /// </summary>
    public static async Task UntilAsync(Func<Task<(bool Done, string State)>> condition, TimeSpan timeout, string description)
    {
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            (bool done, string state) = await condition();
            if (done)
            {
                return;
            }

            if (stopwatch.Elapsed > timeout)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0} s waiting until {description}. Last state: {state}");
            }

            await Task.Delay(Interval);
        }
    }
}
