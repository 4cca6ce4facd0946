using Azure;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Dso.Agent.Configuration;
using Dso.Agent.Providers.Azure;

namespace Dso.Bench.Providers;

/// <summary>
/// A prototype of a cheaper Azure poll that the provider does not use: it pages through GET /secrets (up to 25
/// secrets per page) and reads each secret's attributes, which carry no version id. A poll built on it would
/// list versions only for secrets whose "updated" time changed since the last poll. It measures the listing
/// only, with the provider's HTTP transport and credential, but without ProviderResilience.
/// </summary>
internal sealed class AzureListPoll : IDisposable
{
    private readonly HttpClient _httpClient;
    private readonly SecretClient _client;

    public AzureListPoll(AzureProviderConfig config, AzureClientSettings settings)
    {
        _httpClient = AzureHttpTransport.Create(config, settings);
        var transport = new HttpClientTransport(_httpClient);
        var credentialOptions = new ClientSecretCredentialOptions
        {
            Transport = transport,
            DisableInstanceDiscovery = settings.DisableInstanceDiscovery,
            AuthorityHost = config.AuthorityHost,
        };
        credentialOptions.Retry.MaxRetries = 0;
        var credential = new ClientSecretCredential(config.TenantId, config.ClientId, config.ClientSecret, credentialOptions);
        var clientOptions = new SecretClientOptions
        {
            Transport = transport,
            DisableChallengeResourceVerification = settings.DisableChallengeResourceVerification,
        };
        clientOptions.Retry.MaxRetries = 0;
        _client = new SecretClient(config.VaultUrl, credential, clientOptions);
    }

    /// <summary>Lists every secret of the vault and returns how many of the paths are missing or disabled.</summary>
    public async Task<int> PollAsync(IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        var updated = new Dictionary<string, DateTimeOffset?>(StringComparer.OrdinalIgnoreCase);
        await foreach (Page<SecretProperties> page in _client.GetPropertiesOfSecretsAsync(cancellationToken).AsPages().WithCancellation(cancellationToken))
        {
            foreach (SecretProperties secret in page.Values.Where(secret => secret.Enabled == true))
            {
                updated[secret.Name] = secret.UpdatedOn;
            }
        }

        return paths.Count(path => !updated.ContainsKey(AzureSecretNames.ToKeyVaultName(path, out _) ?? ""));
    }

    public void Dispose() => _httpClient.Dispose();
}
