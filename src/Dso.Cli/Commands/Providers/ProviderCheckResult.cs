using Dso.Agent.Configuration;

namespace Dso.Cli.Commands.Providers;

/// <summary>The outcome of checking one provider: its connection, then each secret that uses it.</summary>
internal sealed record ProviderCheckResult(ProviderConfig Provider, bool Connected, string? Error, IReadOnlyList<SecretCheck> Secrets)
{
    public bool AllReadable => Connected && Secrets.All(secret => secret.Readable);
}
