namespace Dso.Agent.Configuration;

/// <summary>A health probe of a new container: a TCP connect to a port, or an HTTP GET of a path on a port that must return 2xx.</summary>
internal sealed record ProbeConfig
{
    /// <summary>Container port to probe.</summary>
    public required int Port { get; init; }

    /// <summary>The HTTP path for an HTTP probe, or null for a TCP probe.</summary>
    public string? HttpPath { get; init; }
}
