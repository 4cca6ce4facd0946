namespace Dso.Agent.Configuration;

/// <summary>How the agent logs in to Vault.</summary>
internal enum VaultAuthMethod
{
    Token,
    AppRole,
}
