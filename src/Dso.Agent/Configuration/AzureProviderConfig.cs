namespace Dso.Agent.Configuration;

/// <summary>
/// Azure Key Vault, reached with a managed identity, with a service principal (tenant_id, client_id and
/// client_secret), or with none of them through the Azure credential chain. ToString never shows the client secret.
/// </summary>
internal sealed record AzureProviderConfig : ProviderConfig
{
    public override ProviderType Type => ProviderType.Azure;

    public required Uri VaultUrl { get; init; }

    public string? TenantId { get; init; }

    /// <summary>The service principal's application id, or the client id of a user-assigned managed identity.</summary>
    public string? ClientId { get; init; }

    public string? ClientSecret { get; init; }

    public bool ManagedIdentity { get; init; }

    /// <summary>The Microsoft Entra ID endpoint that issues tokens, for sovereign clouds; null for the public cloud.</summary>
    public Uri? AuthorityHost { get; init; }

    /// <summary>
    /// Skips MSAL's instance discovery, a request to the public cloud's login endpoint about authority_host. Azure
    /// Stack Hub and other private authorities need it off, because the public cloud does not know them.
    /// </summary>
    public bool DisableInstanceDiscovery { get; init; }

    /// <summary>A PEM file with extra CA certificates to trust for the vault and the authority host.</summary>
    public string? CaFile { get; init; }

    public override string ToString() =>
        $"AzureProviderConfig {{ Name = {Name}, VaultUrl = {VaultUrl}, TenantId = {TenantId}, ClientId = {ClientId}, ManagedIdentity = {ManagedIdentity}, AuthorityHost = {AuthorityHost}, DisableInstanceDiscovery = {DisableInstanceDiscovery}, CaFile = {CaFile} }}";
}
