using System.Globalization;

namespace Dso.Bench.Providers;

/// <summary>The command line of the benchmark.</summary>
internal sealed record BenchmarkOptions
{
    /// <summary>Secret counts per provider, each polled for <see cref="Cycles"/> cycles.</summary>
    public IReadOnlyList<int> Sizes { get; init; } = [1_000, 10_000];

    /// <summary>Poll cycles per size. The first cycle of each provider also pays for tokens, connections and JIT.</summary>
    public int Cycles { get; init; } = 4;

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(240);

    /// <exception cref="FormatException">An option is unknown, lacks its value, or its value is not a positive number.</exception>
    public static BenchmarkOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchmarkOptions();
        for (int index = 0; index < args.Count; index += 2)
        {
            string name = args[index];
            string value = index + 1 < args.Count ? args[index + 1] : throw new FormatException($"option {name} needs a value.");
            options = name switch
            {
                "--sizes" => options with { Sizes = value.Split(',').Select(size => Positive(name, size)).Order().ToArray() },
                "--cycles" => options with { Cycles = Positive(name, value) },
                "--timeout-seconds" => options with { Timeout = TimeSpan.FromSeconds(Positive(name, value)) },
                _ => throw new FormatException($"unknown option {name}."),
            };
        }

        return options;
    }

    private static int Positive(string option, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number > 0
            ? number
            : throw new FormatException($"option {option} needs positive whole numbers, not \"{value}\".");
}
