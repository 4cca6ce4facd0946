using Azure.Security.KeyVault.Secrets;

namespace Dso.Agent.Providers.Azure;

/// <summary>
/// The fields of one item of Key Vault's secret list (GET /secrets) that can change with a new current version.
/// The item carries no version id, so the provider compares these fields between polls as a change hint.
/// </summary>
/// <param name="Tags">The tags as sorted "name=value" lines. They are metadata, never a secret value.</param>
internal readonly record struct ListedSecret(
    DateTimeOffset? Created,
    DateTimeOffset? Updated,
    bool? Enabled,
    DateTimeOffset? NotBefore,
    DateTimeOffset? ExpiresOn,
    string? ContentType,
    bool Managed,
    string Tags)
{
    /// <summary>The later of Created and Updated, in whole seconds as Key Vault stores them.</summary>
    public DateTimeOffset? LastChanged => Nullable.Compare(Updated, Created) > 0 ? Updated : Created;

    public static ListedSecret From(SecretProperties item) => new(
        item.CreatedOn,
        item.UpdatedOn,
        item.Enabled,
        item.NotBefore,
        item.ExpiresOn,
        item.ContentType,
        item.Managed,
        string.Join('\n', item.Tags.Select(tag => $"{tag.Key}={tag.Value}").Order(StringComparer.Ordinal)));
}
