namespace Dso.Agent.Configuration;

/// <summary>The kinds of secret source a provider entry of dso.yaml can name.</summary>
internal enum ProviderType
{
    Local,
    Vault,
    Aws,
    Azure,
}
