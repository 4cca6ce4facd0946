namespace Dso.Cli.Tests.Infrastructure;

/// <summary>
/// Tests that start hundreds of dso processes or time their kills. xunit runs this collection after the parallel
/// ones and alone, so that other tests neither slow them down nor shift the moment a kill lands.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessHeavyTests
{
    public const string Name = "Process-heavy";
}
