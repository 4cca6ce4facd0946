namespace Dso.Agent.Configuration;

/// <summary>A HashiCorp Vault (or OpenBao) server with a KV secrets engine, version 1 or 2.</summary>
internal sealed record VaultProviderConfig : ProviderConfig
{
    public const string DefaultMount = "secret";

    public override ProviderType Type => ProviderType.Vault;

    public required Uri Address { get; init; }

    /// <summary>Vault Enterprise namespace sent as X-Vault-Namespace, or null.</summary>
    public string? Namespace { get; init; }

    /// <summary>Mount path of the KV engine.</summary>
    public string Mount { get; init; } = DefaultMount;

    /// <summary>The KV engine's version, 1 or 2, or null to ask the server (kv_version: auto).</summary>
    public int? KvVersion { get; init; }

    public required VaultAuthConfig Auth { get; init; }

    /// <summary>PEM file of the CA that signed the server's certificate, or null for the system's CAs.</summary>
    public string? CaFile { get; init; }

    public bool TlsSkipVerify { get; init; }
}
