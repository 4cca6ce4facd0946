namespace Dso.Agent.Configuration;

/// <summary>Vault credentials after ${VAR} expansion. ToString never shows them.</summary>
internal sealed record VaultAuthConfig
{
    public const string DefaultAppRoleMount = "approle";

    public required VaultAuthMethod Method { get; init; }

    /// <summary>The token for method token, else null.</summary>
    public string? Token { get; init; }

    /// <summary>The AppRole role id for method approle, else null.</summary>
    public string? RoleId { get; init; }

    /// <summary>The AppRole secret id for method approle, else null.</summary>
    public string? SecretId { get; init; }

    /// <summary>Mount path of the AppRole auth method, used for method approle.</summary>
    public string AppRoleMount { get; init; } = DefaultAppRoleMount;

    public override string ToString() => $"VaultAuthConfig {{ Method = {Method} }}";
}
