using System.Globalization;
using Dso.Bench.Providers;

// Usage: Dso.Bench.Providers [--sizes 1000,10000] [--cycles 4] [--timeout-seconds 240]
//        Dso.Bench.Providers serve COUNT   (the child process that runs the fake servers)
if (args is ["serve", string count])
{
    return await ServerHost.RunAsync(int.Parse(count, CultureInfo.InvariantCulture));
}

BenchmarkOptions options;
try
{
    options = BenchmarkOptions.Parse(args);
}
catch (FormatException error)
{
    await Console.Error.WriteLineAsync($"Dso.Bench.Providers: {error.Message}");
    await Console.Error.WriteLineAsync("Usage: Dso.Bench.Providers [--sizes 1000,10000] [--cycles 4] [--timeout-seconds 240]");
    return 2;
}

using var timeout = new CancellationTokenSource(options.Timeout);
try
{
    IReadOnlyList<Sample> samples = await PollBenchmark.RunAsync(options, timeout.Token);
    Report.Write(Console.Out, options, samples);
    return samples.Any(sample => sample.FailedLookups > 0) ? 1 : 0;
}
catch (OperationCanceledException) when (timeout.IsCancellationRequested)
{
    await Console.Error.WriteLineAsync($"Dso.Bench.Providers: the benchmark did not finish within {options.Timeout.TotalSeconds:F0} s; lower --sizes or --cycles, or raise --timeout-seconds.");
    return 1;
}
