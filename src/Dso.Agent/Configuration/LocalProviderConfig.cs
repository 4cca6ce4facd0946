namespace Dso.Agent.Configuration;

/// <summary>A dso vault file on this host; its key file (master.key) or passphrase is found as in local mode.</summary>
internal sealed record LocalProviderConfig : ProviderConfig
{
    public override ProviderType Type => ProviderType.Local;

    public required string VaultPath { get; init; }
}
