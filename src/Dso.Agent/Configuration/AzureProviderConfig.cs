namespace Dso.Agent.Configuration;

/// <summary>
/// Azure Key Vault, reached either with a managed identity or with a service principal
/// (tenant_id, client_id and client_secret). ToString never shows the client secret.
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

    public override string ToString() =>
        $"AzureProviderConfig {{ Name = {Name}, VaultUrl = {VaultUrl}, TenantId = {TenantId}, ClientId = {ClientId}, ManagedIdentity = {ManagedIdentity} }}";
}
