namespace Dso.Agent.Providers;

/// <summary>
/// One configured secret source (the local vault, HashiCorp Vault, AWS Secrets Manager, Azure Key Vault).
/// Implementations are safe to call from several threads and never put a value in a log, message or exception.
/// </summary>
internal interface ISecretProvider : IAsyncDisposable
{
    /// <summary>The provider's name in dso.yaml.</summary>
    string Name { get; }

    /// <summary>Whether the provider can currently authenticate and respond, and why not.</summary>
    ProviderHealth Health { get; }

    /// <summary>
    /// Returns the current version id of each path, reading no value where the provider allows it and
    /// batching requests where it can, so that polling many secrets costs few calls. A path that failed
    /// is in the result with its error; the method itself throws only on cancellation.
    /// </summary>
    Task<IReadOnlyDictionary<string, VersionLookup>> GetCurrentVersionsAsync(
        IReadOnlyCollection<string> paths, CancellationToken cancellationToken);

    /// <summary>Reads a value: the current version when <paramref name="versionId"/> is null.</summary>
    /// <exception cref="ProviderException">The secret could not be read; the message names the path, never a value or credential.</exception>
    Task<SecretPayload> FetchAsync(string path, string? versionId, CancellationToken cancellationToken);

    /// <summary>Authenticates and makes the cheapest call that proves the provider responds, for dso provider check.</summary>
    /// <exception cref="ProviderException">The provider cannot be reached or rejects the credentials.</exception>
    Task CheckConnectionAsync(CancellationToken cancellationToken);
}
