namespace Dso.Agent.Configuration;

/// <summary>A HashiCorp Vault (or OpenBao) server with a KV version 2 secrets engine.</summary>
internal sealed record VaultProviderConfig : ProviderConfig
{
    public const string DefaultMount = "secret";

    public override ProviderType Type => ProviderType.Vault;

    public required Uri Address { get; init; }

    /// <summary>Vault Enterprise namespace sent as X-Vault-Namespace, or null.</summary>
    public string? Namespace { get; init; }

    /// <summary>Mount path of the KV version 2 engine.</summary>
    public string Mount { get; init; } = DefaultMount;

    public required VaultAuthConfig Auth { get; init; }

    /// <summary>PEM file of the CA that signed the server's certificate, or null for the system's CAs.</summary>
    public string? CaFile { get; init; }

    public bool TlsSkipVerify { get; init; }
}
