namespace Dso.Agent.Configuration;

/// <summary>The containers of one Compose project, or of one of its services.</summary>
internal sealed record ComposeTarget
{
    public required string Project { get; init; }

    /// <summary>One service of the project, or null for all of them.</summary>
    public string? Service { get; init; }
}
