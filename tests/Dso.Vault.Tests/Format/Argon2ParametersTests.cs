using Dso.Vault.Format;

namespace Dso.Vault.Tests.Format;

public sealed class Argon2ParametersTests
{
    [Fact]
    public void FindProblem_Default_ReturnsNull()
    {
        string? problem = Argon2Parameters.Default.FindProblem();

        Assert.Null(problem);
    }

    [Theory]
    [InlineData(8u, 1u, 1u)]
    [InlineData(32u, 1u, 4u)]
    [InlineData(Argon2Parameters.MaxMemoryKib, Argon2Parameters.MaxIterations, Argon2Parameters.MaxParallelism)]
    public void FindProblem_WithinLimits_ReturnsNull(uint memoryKib, uint iterations, uint parallelism)
    {
        string? problem = new Argon2Parameters(memoryKib, iterations, parallelism).FindProblem();

        Assert.Null(problem);
    }

    [Theory]
    [InlineData(0u, 0u, 0u, "0 lanes")]
    [InlineData(1024u, 1u, Argon2Parameters.MaxParallelism + 1, "65 lanes")]
    [InlineData(1024u, 0u, 1u, "0 passes")]
    [InlineData(1024u, Argon2Parameters.MaxIterations + 1, 1u, "65 passes")]
    [InlineData(7u, 1u, 1u, "7 KiB")]
    [InlineData(31u, 1u, 4u, "31 KiB")]
    [InlineData(Argon2Parameters.MaxMemoryKib + 1, 1u, 1u, "4194305 KiB")]
    [InlineData(uint.MaxValue, uint.MaxValue, 1u, "4294967295 passes")]
    public void FindProblem_OutsideLimits_NamesTheValue(uint memoryKib, uint iterations, uint parallelism, string expected)
    {
        string? problem = new Argon2Parameters(memoryKib, iterations, parallelism).FindProblem();

        Assert.NotNull(problem);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }
}
