using Microsoft.Extensions.Logging;

namespace Dso.Agent.Providers;

/// <summary>What a provider needs from the agent: the clock, logging and the environment (for credential chains).</summary>
internal sealed class ProviderContext
{
    public ProviderContext(TimeProvider time, ILoggerFactory loggerFactory, Func<string, string?> environment)
    {
        Time = time;
        LoggerFactory = loggerFactory;
        Environment = environment;
    }

    public TimeProvider Time { get; }

    public ILoggerFactory LoggerFactory { get; }

    public Func<string, string?> Environment { get; }

    /// <summary>
    /// The agent's fingerprint key, for providers that must derive a version id from a value (KV version 1), so
    /// that the journal never holds a plain hash of a value. Null outside the agent: the id is then a plain hash.
    /// </summary>
    public byte[]? FingerprintKey { get; init; }
}
