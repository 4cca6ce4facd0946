namespace Dso.Agent.Configuration;

/// <summary>The containers a secret goes to: named containers, containers with all of some labels, or a Compose project's services.</summary>
internal sealed record TargetsConfig
{
    public IReadOnlyList<string> Containers { get; init; } = [];

    /// <summary>Labels a container must all carry, with these values.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();

    public ComposeTarget? Compose { get; init; }
}
