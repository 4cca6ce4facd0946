using Dso.Agent.Configuration;

namespace Dso.Agent.Providers;

/// <summary>Creates the provider of each providers: entry of dso.yaml.</summary>
internal static class ProviderFactory
{
    public static ISecretProvider Create(ProviderConfig config, ProviderContext context) => config switch
    {
        LocalProviderConfig local => new Local.LocalVaultProvider(local, context),
        VaultProviderConfig vault => new HashiCorp.VaultProvider(vault, context),
        AzureProviderConfig azure => new Azure.AzureKeyVaultProvider(azure, context),
        AwsProviderConfig aws => new Aws.AwsSecretsManagerProvider(aws, context),
        _ => throw new ProviderException(
            config.Name,
            ProviderErrorKind.Invalid,
            $"Provider {config.Name}: type {config.Type.ToString().ToLowerInvariant()} is not supported by this build of dso."),
    };
}
