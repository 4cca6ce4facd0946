namespace Dso.Agent.Providers.Azure;

/// <summary>
/// Settings of the Azure SDK clients that dso.yaml does not expose. <see cref="ProviderFactory"/> uses
/// <see cref="Default"/>; tests set the rest to reach an in-test server on 127.0.0.1.
/// </summary>
internal sealed record AzureClientSettings
{
    public static AzureClientSettings Default { get; } = new();

    public ProviderResilienceOptions Resilience { get; init; } = ProviderResilienceOptions.Default;

    /// <summary>
    /// The maximum time a polled secret goes without a lookup of its versions, even when its item in the secret
    /// list shows no change. It is a backstop, because Key Vault does not document that the list follows new versions.
    /// </summary>
    public TimeSpan FullCheckInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// Skips MSAL's instance discovery, which otherwise sends a request about an unknown authority host to the
    /// public cloud's login endpoint. It applies when this or the provider's disable_instance_discovery is true.
    /// Tests set it so that no request leaves 127.0.0.1.
    /// </summary>
    public bool DisableInstanceDiscovery { get; init; }

    /// <summary>
    /// Accepts a Key Vault challenge whose resource is not a parent domain of the vault's host
    /// (https://vault.azure.net for a vault at 127.0.0.1). Tests only.
    /// </summary>
    public bool DisableChallengeResourceVerification { get; init; }

    /// <summary>Wraps the HTTP handler of every SDK call, so that a test can check where each request goes.</summary>
    public Func<HttpMessageHandler, HttpMessageHandler>? WrapHandler { get; init; }
}
