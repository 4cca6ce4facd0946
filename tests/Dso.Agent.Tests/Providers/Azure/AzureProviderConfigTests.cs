using Dso.Agent.Configuration;

namespace Dso.Agent.Tests.Providers.Azure;

/// <summary>The loader's handling of azure providers: credential choices, the extra keys, and Key Vault name checks.</summary>
public sealed class AzureProviderConfigTests
{
    private const string File = "/srv/dso/dso.yaml";

    /// <summary>Lines 1-5: an azure provider kv that uses the credential chain.</summary>
    private const string Provider = "mode: agent\nproviders:\n  kv:\n    type: azure\n    vault_url: https://shop.vault.azure.net/\n";

    [Fact]
    public void Parse_NoCredentialKeys_UsesCredentialChain()
    {
        AgentConfig config = Parse(Provider);

        var azure = Assert.IsType<AzureProviderConfig>(config.Providers["kv"]);
        Assert.False(azure.ManagedIdentity);
        Assert.Null(azure.TenantId);
        Assert.Null(azure.ClientId);
        Assert.Null(azure.ClientSecret);
    }

    [Fact]
    public void Parse_AuthorityHostAndCaFile_AreRead()
    {
        AgentConfig config = Parse(Provider + "    authority_host: https://login.microsoftonline.us/\n    ca_file: /etc/dso/kv-ca.pem\n");

        var azure = Assert.IsType<AzureProviderConfig>(config.Providers["kv"]);
        Assert.Equal(new Uri("https://login.microsoftonline.us/"), azure.AuthorityHost);
        Assert.Equal("/etc/dso/kv-ca.pem", azure.CaFile);
    }

    [Fact]
    public void Parse_HttpAuthorityHost_IsError()
    {
        var error = Assert.Throws<AgentConfigException>(() => Parse(Provider + "    authority_host: http://login.example/\n"));

        Assert.StartsWith($"{File}:6: providers.kv.authority_host: must be an absolute https URL", error.Errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_DisableInstanceDiscovery_IsRead()
    {
        AgentConfig config = Parse(Provider + "    disable_instance_discovery: true\n");

        var azure = Assert.IsType<AzureProviderConfig>(config.Providers["kv"]);
        Assert.True(azure.DisableInstanceDiscovery);
    }

    [Fact]
    public void Parse_NoDisableInstanceDiscovery_DefaultsToFalse()
    {
        AgentConfig config = Parse(Provider);

        Assert.False(Assert.IsType<AzureProviderConfig>(config.Providers["kv"]).DisableInstanceDiscovery);
    }

    [Fact]
    public void Parse_DisableInstanceDiscoveryNotBoolean_IsError()
    {
        var error = Assert.Throws<AgentConfigException>(() => Parse(Provider + "    disable_instance_discovery: yes\n"));

        Assert.Equal($"{File}:6: providers.kv.disable_instance_discovery: must be true or false, not \"yes\".", Assert.Single(error.Errors));
    }

    [Fact]
    public void Parse_DisableInstanceDiscoveryOnVault_IsError()
    {
        string yaml = "mode: agent\nproviders:\n  v:\n    type: vault\n    address: https://vault.example.com:8200\n    auth:\n      method: token\n      token: hvs.x\n    disable_instance_discovery: true\n";

        var error = Assert.Throws<AgentConfigException>(() => Parse(yaml));

        Assert.StartsWith($"{File}:9: providers.v.disable_instance_discovery:", error.Errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_PathsDifferingInCase_ReportsBothSecrets()
    {
        string yaml = Provider + "secrets:\n"
            + "  db:\n    provider: kv\n    path: shop/db\n    targets:\n      containers: [web]\n"
            + "  db_upper:\n    provider: kv\n    path: shop/DB\n    targets:\n      containers: [web]\n";

        var error = Assert.Throws<AgentConfigException>(() => Parse(yaml));

        string message = Assert.Single(error.Errors);
        Assert.Equal(
            $"{File}:14: secrets.db_upper.path: \"shop/DB\" and secrets.db.path \"shop/db\" (line 9) both map to the Key Vault secret shop--2fDB of provider kv, because Key Vault names ignore case. Rename one of the two secrets in the vault and its path here.",
            message);
    }

    [Fact]
    public void Parse_SamePathInTwoProviders_IsValid()
    {
        string yaml = "mode: agent\nproviders:\n  a:\n    type: azure\n    vault_url: https://a.vault.azure.net/\n  b:\n    type: azure\n    vault_url: https://b.vault.azure.net/\n"
            + "secrets:\n"
            + "  one:\n    provider: a\n    path: shop/db\n    targets:\n      containers: [web]\n"
            + "  two:\n    provider: b\n    path: shop/DB\n    targets:\n      containers: [web]\n";

        Assert.Equal(2, Parse(yaml).Secrets.Count);
    }

    [Fact]
    public void Parse_LongAzurePath_IsError()
    {
        string yaml = Provider + "secrets:\n  db:\n    provider: kv\n    path: " + string.Concat(Enumerable.Repeat("a/", 40)) + "\n    targets:\n      containers: [web]\n";

        var error = Assert.Throws<AgentConfigException>(() => Parse(yaml));

        Assert.StartsWith($"{File}:9: secrets.db.path: \"a/a/", error.Errors[0], StringComparison.Ordinal);
        Assert.Contains("maps to a Key Vault name of 200 characters, and Key Vault allows at most 127", error.Errors[0], StringComparison.Ordinal);
    }

    private static AgentConfig Parse(string yaml) =>
        AgentConfigLoader.Parse(File, yaml, new AgentConfigLoadOptions { Environment = _ => null });
}
