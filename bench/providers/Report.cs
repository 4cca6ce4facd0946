using System.Globalization;

namespace Dso.Bench.Providers;

/// <summary>Writes the samples as markdown tables: every cycle, then medians and ratios per provider and size.</summary>
internal static class Report
{
    /// <summary>
    /// The goal "requests grow with batches, not with secrets", as a number: at most one request per 10 secrets
    /// polled. AWS's batch of 20 ids gives 0.05.
    /// </summary>
    private const double GoalRequestsPerSecret = 0.1;

    public static void Write(TextWriter output, BenchmarkOptions options, IReadOnlyList<Sample> samples)
    {
        output.WriteLine($"Poll cycles per size: {options.Cycles}. Medians below use cycles 2 to {options.Cycles} (cycle 1 also pays for the token, connections and JIT); with one cycle they use it.");
        output.WriteLine();
        WriteSummary(output, options, samples);
        output.WriteLine();
        WriteGrowth(output, options, samples);
        output.WriteLine();
        WriteCycles(output, samples);
    }

    private static void WriteSummary(TextWriter output, BenchmarkOptions options, IReadOnlyList<Sample> samples)
    {
        output.WriteLine("| Subject | Secrets | Requests per cycle | Requests per 1,000 secrets | Wall ms | Client CPU ms | Client CPU ms per 1,000 secrets | CPU ratio to baseline | Fake server CPU ms |");
        output.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (int size in options.Sizes)
        {
            double baselineCpu = Median(Warm(samples, PollBenchmark.Baseline, size), sample => sample.ClientCpuMilliseconds);
            foreach (string subject in PollBenchmark.Subjects)
            {
                List<Sample> warm = Warm(samples, subject, size);
                double requests = Median(warm, sample => sample.Requests);
                double cpu = Median(warm, sample => sample.ClientCpuMilliseconds);
                string label = subject switch
                {
                    PollBenchmark.Baseline => $"baseline: {size:N0} plain GETs",
                    PollBenchmark.BaselineNewConnections => $"baseline-close: {size:N0} plain GETs, one connection each",
                    PollBenchmark.AzureBackstop => "azure-backstop: list pages plus a lookup of every secret",
                    _ => subject,
                };
                output.WriteLine(Invariant(
                    $"| {label} | {size:N0} | {requests:N0} | {requests * 1000 / size:N1} | {Median(warm, sample => sample.WallMilliseconds):N0} | {cpu:N0} | {cpu * 1000 / size:N1} | {cpu / baselineCpu:N2} | {Median(warm, sample => sample.ServerCpuMilliseconds):N0} |"));
            }
        }
    }

    private static void WriteGrowth(TextWriter output, BenchmarkOptions options, IReadOnlyList<Sample> samples)
    {
        int smallest = options.Sizes.Min();
        int largest = options.Sizes.Max();
        output.WriteLine(Invariant($"| Provider | Requests at {smallest:N0} | Requests at {largest:N0} | Growth for ×{(double)largest / smallest:N0} secrets | Requests per secret at {largest:N0} (goal ≤ {GoalRequestsPerSecret}) | Met | CPU ms at {smallest:N0} | CPU ms at {largest:N0} |"));
        output.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (string subject in PollBenchmark.Providers.Append(PollBenchmark.AzureBackstop))
        {
            double small = Median(Warm(samples, subject, smallest), sample => sample.Requests);
            double large = Median(Warm(samples, subject, largest), sample => sample.Requests);
            double perSecret = large / largest;
            string met = perSecret <= GoalRequestsPerSecret ? "yes" : "no";
            if (subject == PollBenchmark.AzureBackstop)
            {
                met = "(the backstop's cycle)";
            }

            output.WriteLine(Invariant(
                $"| {subject} | {small:N0} | {large:N0} | ×{large / small:N2} | {perSecret:N3} | {met} | {Median(Warm(samples, subject, smallest), sample => sample.ClientCpuMilliseconds):N0} | {Median(Warm(samples, subject, largest), sample => sample.ClientCpuMilliseconds):N0} |"));
        }
    }

    private static void WriteCycles(TextWriter output, IReadOnlyList<Sample> samples)
    {
        output.WriteLine("| Secrets | Cycle | Subject | Requests | Wall ms | Client CPU ms | Fake server CPU ms | Failed lookups |");
        output.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (Sample sample in samples)
        {
            output.WriteLine(Invariant(
                $"| {sample.Secrets:N0} | {sample.Cycle} | {sample.Subject} | {sample.Requests:N0} | {sample.WallMilliseconds:N0} | {sample.ClientCpuMilliseconds:N0} | {sample.ServerCpuMilliseconds:N0} | {sample.FailedLookups} |"));
        }
    }

    /// <summary>The cycles after the first, or the only one.</summary>
    private static List<Sample> Warm(IReadOnlyList<Sample> samples, string subject, int size)
    {
        List<Sample> all = samples.Where(sample => sample.Subject == subject && sample.Secrets == size).ToList();
        return all.Count > 1 ? all.Where(sample => sample.Cycle > 1).ToList() : all;
    }

    private static double Median(List<Sample> samples, Func<Sample, double> value)
    {
        double[] sorted = samples.Select(value).Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
