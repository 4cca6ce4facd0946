using System.Text;
using Azure;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Identity;
using Azure.Security.KeyVault.Secrets;
using Dso.Agent.Configuration;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Providers.Azure;

/// <summary>
/// Azure Key Vault secrets. A dso path is mapped to a Key Vault name by <see cref="AzureSecretNames"/>, and a
/// version id is the Key Vault version. A lookup lists a secret's versions, which carry no value, and takes the
/// newest by creation time, as Key Vault itself does for the current version. Creation times are whole seconds,
/// so when two versions share the newest one, a GET of the secret names the current version. Polling looks up
/// only the secrets that the vault's secret list shows as changed (AzureKeyVaultProvider.Polling.cs).
/// </summary>
/// <remarks>
/// Every SDK call runs inside <see cref="ProviderResilience.ExecuteAsync{T}"/>. The SDK's own retries are off
/// (MaxRetries = 0 for the Key Vault client and the credential), so a failed call is tried at most
/// MaxRetries + 1 times in all; MSAL may still repeat a token request once on HTTP 5xx. Key Vault secrets
/// have no ETag in the data plane, so the version alone identifies the value: a change of attributes
/// (enabled, tags, expiry) keeps the version and the value.
/// </remarks>
internal sealed partial class AzureKeyVaultProvider : ISecretProvider
{
    private readonly AzureProviderConfig _config;
    private readonly ProviderContext _context;
    private readonly ProviderResilience _resilience;
    private readonly ILogger _logger;
    private readonly HttpClient _httpClient;
    private readonly SecretClient _client;
    private readonly AzureClientSettings _settings;
    private ProviderHealth _health;

    public AzureKeyVaultProvider(AzureProviderConfig config, ProviderContext context)
        : this(config, context, AzureClientSettings.Default)
    {
    }

    public AzureKeyVaultProvider(AzureProviderConfig config, ProviderContext context, AzureClientSettings settings)
    {
        _config = config;
        _context = context;
        _settings = settings;
        _logger = context.LoggerFactory.CreateLogger<AzureKeyVaultProvider>();
        _resilience = new ProviderResilience(config.Name, settings.Resilience, context.Time, _logger);
        _httpClient = AzureHttpTransport.Create(config, settings);

        var transport = new HttpClientTransport(_httpClient);
        (TokenCredential credential, string credentialKind) = CreateCredential(config, settings, transport);
        var options = new SecretClientOptions
        {
            Transport = transport,
            DisableChallengeResourceVerification = settings.DisableChallengeResourceVerification,
        };
        TurnOffRetries(options, settings.Resilience);
        _client = new SecretClient(config.VaultUrl, credential, options);
        _health = ProviderHealth.Healthy(context.Time.GetUtcNow());
        LogCreated(Name, config.VaultUrl, credentialKind);
    }

    public string Name => _config.Name;

    public ProviderHealth Health => Volatile.Read(ref _health);

    public async Task<SecretPayload> FetchAsync(string path, string? versionId, CancellationToken cancellationToken)
    {
        string name = KeyVaultNameOf(path);
        string operation = $"GET {SecretUrl(name)}{(versionId is null ? "" : "/" + versionId)}";
        KeyVaultSecret secret = await CallAsync(
            operation,
            Subject(path, name),
            async attemptToken => (await _client.GetSecretAsync(name, versionId, attemptToken).ConfigureAwait(false)).Value,
            cancellationToken).ConfigureAwait(false);

        if (string.IsNullOrEmpty(secret.Value))
        {
            throw new ProviderException(
                Name,
                ProviderErrorKind.Invalid,
                $"Provider {Name}: {operation} for {Subject(path, name)} returned an empty value. Set a value in the key vault; dso never delivers an empty secret.");
        }

        // NOTE: the SDK returns the value as a string, which stays in managed memory until collected and cannot be cleared.
        return new SecretPayload(secret.Properties.Version, Encoding.UTF8.GetBytes(secret.Value), isText: true);
    }

    public async Task CheckConnectionAsync(CancellationToken cancellationToken) =>
        await CallAsync(
            $"GET {_config.VaultUrl.AbsoluteUri.TrimEnd('/')}/secrets",
            "the first page of the secret list",
            async attemptToken =>
            {
                // Reading one page proves the token and the list permission; the token comes from the challenge.
                await foreach (Page<SecretProperties> page in _client.GetPropertiesOfSecretsAsync(attemptToken).AsPages().WithCancellation(attemptToken).ConfigureAwait(false))
                {
                    return page.Values.Count;
                }

                return 0;
            },
            cancellationToken).ConfigureAwait(false);

    public ValueTask DisposeAsync()
    {
        _httpClient.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<(string Path, VersionLookup Lookup)> LookUpVersionAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            string name = KeyVaultNameOf(path);
            string operation = $"GET {SecretUrl(name)}/versions";
            string subject = Subject(path, name);
            SecretProperties? newest = null;
            bool tied = false;
            string? continuation = null;
            do
            {
                (IReadOnlyList<SecretProperties> versions, string? next) = await CallAsync(
                    operation,
                    subject,
                    attemptToken => ReadVersionPageAsync(name, continuation, attemptToken),
                    cancellationToken).ConfigureAwait(false);
                foreach (SecretProperties version in versions)
                {
                    if (newest is null || Nullable.Compare(version.CreatedOn, newest.CreatedOn) > 0)
                    {
                        newest = version;
                        tied = false;
                    }
                    else if (Nullable.Compare(version.CreatedOn, newest.CreatedOn) == 0)
                    {
                        tied = true;
                    }
                }

                continuation = next;
            }
            while (continuation is not null);

            if (tied)
            {
                // Key Vault stores created times in whole seconds, so versions set in the same second cannot be
                // ordered from the list. GET /secrets/{name} returns the current one, and its value is dropped here.
                string currentOperation = $"GET {SecretUrl(name)}";
                string current = await CallAsync(
                    currentOperation,
                    subject,
                    async attemptToken => (await _client.GetSecretAsync(name, version: null, attemptToken).ConfigureAwait(false)).Value.Properties.Version,
                    cancellationToken).ConfigureAwait(false);
                return (path, VersionLookup.Found(current));
            }

            return (path, Current(operation, subject, newest));
        }
        catch (ProviderException error)
        {
            return (path, VersionLookup.Failed(error));
        }
    }

    private async ValueTask<(IReadOnlyList<SecretProperties> Versions, string? Next)> ReadVersionPageAsync(
        string name, string? continuation, CancellationToken cancellationToken)
    {
        // A continuation token of the Key Vault client is the nextLink of the previous page.
        await foreach (Page<SecretProperties> page in _client.GetPropertiesOfSecretVersionsAsync(name, cancellationToken).AsPages(continuation).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            return (page.Values, page.ContinuationToken);
        }

        return ([], null);
    }

    private VersionLookup Current(string operation, string subject, SecretProperties? newest)
    {
        if (newest is null)
        {
            return VersionLookup.Failed(new ProviderException(
                Name,
                ProviderErrorKind.NotFound,
                $"Provider {Name}: {operation} for {subject} listed no version: the secret does not exist. Create it, or recover it if it was deleted (az keyvault secret recover), or fix the path in dso.yaml."));
        }

        if (newest.Enabled != true)
        {
            return VersionLookup.Failed(new ProviderException(
                Name,
                ProviderErrorKind.Deleted,
                $"Provider {Name}: {operation} for {subject}: the current version {newest.Version} is disabled, so Key Vault serves no value. Enable it, or set a new version, in the key vault."));
        }

        return VersionLookup.Found(newest.Version);
    }

    /// <summary>Runs one SDK call under the resilience policy, classifying its failures and updating health.</summary>
    private async Task<T> CallAsync<T>(string operation, string subject, Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            T result = await _resilience.ExecuteAsync(
                operation,
                async attemptToken =>
                {
                    try
                    {
                        return await call(attemptToken).ConfigureAwait(false);
                    }
                    catch (Exception error) when (AzureErrors.IsSdkFailure(error) || (error is OperationCanceledException && !attemptToken.IsCancellationRequested))
                    {
                        // The attempt's timeout can surface inside an SDK exception, and Polly must see it as cancellation.
                        // A cancellation that the attempt did not request is the SDK's own network timeout.
                        attemptToken.ThrowIfCancellationRequested();
                        throw AzureErrors.Classify(Name, operation, subject, error);
                    }
                },
                cancellationToken).ConfigureAwait(false);
            MarkHealthy();
            return result;
        }
        catch (ProviderException error) when (error.Kind is ProviderErrorKind.Unauthenticated or ProviderErrorKind.CircuitOpen)
        {
            MarkUnhealthy(error.Message);
            throw;
        }
    }

    private string KeyVaultNameOf(string path) =>
        AzureSecretNames.ToKeyVaultName(path, out string? problem)
            ?? throw new ProviderException(
                Name,
                ProviderErrorKind.Invalid,
                $"Provider {Name}: the path \"{path}\" {problem}. Shorten it; docs/configuration.md describes how dso maps paths to Key Vault names.");

    private string SecretUrl(string name) => $"{_config.VaultUrl.AbsoluteUri.TrimEnd('/')}/secrets/{name}";

    private static string Subject(string path, string name) => $"secret path {path} (Key Vault name {name})";

    private void MarkHealthy()
    {
        if (!Health.IsHealthy)
        {
            Volatile.Write(ref _health, ProviderHealth.Healthy(_context.Time.GetUtcNow()));
            LogHealthy(Name);
        }
    }

    private void MarkUnhealthy(string reason)
    {
        ProviderHealth current = Health;
        if (current.IsHealthy || current.Reason != reason)
        {
            Volatile.Write(ref _health, ProviderHealth.Unhealthy(reason, _context.Time.GetUtcNow()));
            LogUnhealthy(Name, reason);
        }
    }

    private static (TokenCredential Credential, string Kind) CreateCredential(AzureProviderConfig config, AzureClientSettings settings, HttpPipelineTransport transport)
    {
        if (config.ManagedIdentity)
        {
            ManagedIdentityId identity = config.ClientId is { } clientId ? ManagedIdentityId.FromUserAssignedClientId(clientId) : ManagedIdentityId.SystemAssigned;
            var managed = new ManagedIdentityCredentialOptions(identity) { Transport = transport };
            TurnOffRetries(managed, settings.Resilience);
            return (new ManagedIdentityCredential(managed), config.ClientId is null ? "system-assigned managed identity" : "user-assigned managed identity");
        }

        if (config.TenantId is { } tenantId && config.ClientId is { } servicePrincipal && config.ClientSecret is { } clientSecret)
        {
            var options = new ClientSecretCredentialOptions
            {
                Transport = transport,
                DisableInstanceDiscovery = config.DisableInstanceDiscovery || settings.DisableInstanceDiscovery,
            };
            if (config.AuthorityHost is { } authorityHost)
            {
                options.AuthorityHost = authorityHost;
            }

            TurnOffRetries(options, settings.Resilience);
            return (new ClientSecretCredential(tenantId, servicePrincipal, clientSecret, options), "service principal");
        }

        // NOTE: the chain reads AZURE_* variables from the process environment, not from ProviderContext.Environment.
        var chain = new DefaultAzureCredentialOptions
        {
            Transport = transport,
            DisableInstanceDiscovery = config.DisableInstanceDiscovery || settings.DisableInstanceDiscovery,
        };
        if (config.AuthorityHost is { } chainAuthority)
        {
            chain.AuthorityHost = chainAuthority;
        }

        TurnOffRetries(chain, settings.Resilience);
        return (new DefaultAzureCredential(chain), "Azure credential chain");
    }

    private static void TurnOffRetries(ClientOptions options, ProviderResilienceOptions resilience)
    {
        options.Retry.MaxRetries = 0;

        // A backstop only: the attempt timeout of ProviderResilience is meant to fire first.
        options.Retry.NetworkTimeout = resilience.AttemptTimeout * 2;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Provider {Provider}: using Azure Key Vault {VaultUrl} with a {Credential}")]
    private partial void LogCreated(string provider, Uri vaultUrl, string credential);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider}: marked unhealthy: {Reason}")]
    private partial void LogUnhealthy(string provider, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Provider {Provider}: healthy again after a successful call")]
    private partial void LogHealthy(string provider);
}
