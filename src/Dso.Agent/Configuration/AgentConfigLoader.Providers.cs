using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Dso.Agent.Configuration;

internal static partial class AgentConfigLoader
{
    private static readonly string[] AzureServicePrincipalKeys = ["tenant_id", "client_id", "client_secret"];

    private static readonly string[] AzureSecretKeys = ["tenant_id", "client_secret"];

    private static IReadOnlyDictionary<string, ProviderConfig> ReadProviders(ConfigReader reader, ConfigMapping root)
    {
        var providers = new Dictionary<string, ProviderConfig>(StringComparer.Ordinal);
        if (root["providers"] is not { } node)
        {
            reader.Missing(root, "providers", "a mapping of provider names to settings, such as providers: {main: {type: vault, ...}}");
            return providers;
        }

        long line = LineOfKey(root, "providers");
        if (reader.Mapping(node, "providers", line, accepted: null) is not { } mapping)
        {
            return providers;
        }

        if (mapping.Entries.Count == 0)
        {
            reader.Error(line, "providers", "is empty; name at least one provider, such as main: {type: vault, ...}.");
        }

        foreach ((string name, YamlNode keyNode, YamlNode value) in mapping.Entries)
        {
            string keyPath = mapping.PathOf(name);
            if (!IsValidName(name))
            {
                reader.Error(keyNode, keyPath, "is not a valid provider name; use letters, digits, '.', '_' and '-', starting with a letter or digit.");
                continue;
            }

            if (ReadProvider(reader, name, value, keyPath, keyNode.Start.Line) is { } provider)
            {
                providers[name] = provider;
            }
        }

        return providers;
    }

    private static ProviderConfig? ReadProvider(ConfigReader reader, string name, YamlNode node, string keyPath, long line)
    {
        // The type decides which keys are accepted, so it is read before the keys are checked.
        if (node is not YamlMappingNode raw && !ConfigReader.IsNull(node))
        {
            _ = reader.Mapping(node, keyPath, line, accepted: null);
            return null;
        }

        YamlNode? typeNode = (node as YamlMappingNode)?.Children.FirstOrDefault(entry => entry.Key is YamlScalarNode { Value: "type" }).Value;
        if (typeNode is null)
        {
            reader.Error(line, $"{keyPath}.type", $"is required ({string.Join(", ", AgentConfigKeys.ProviderTypes)}).");
            return null;
        }

        if (reader.Choice(typeNode, $"{keyPath}.type", AgentConfigKeys.ProviderTypes) is not { } typeIndex)
        {
            return null;
        }

        var type = (ProviderType)typeIndex;
        if (reader.Mapping(node, keyPath, line, AgentConfigKeys.Provider[type], $"for a provider of type {AgentConfigKeys.ProviderTypes[typeIndex]}") is not { } mapping)
        {
            return null;
        }

        return type switch
        {
            ProviderType.Local => ReadLocalProvider(reader, name, mapping),
            ProviderType.Vault => ReadVaultProvider(reader, name, mapping),
            ProviderType.Aws => ReadAwsProvider(reader, name, mapping),
            _ => ReadAzureProvider(reader, name, mapping),
        };
    }

    private static LocalProviderConfig? ReadLocalProvider(ConfigReader reader, string name, ConfigMapping mapping)
    {
        if (mapping["vault_path"] is not { } node)
        {
            reader.Missing(mapping, "vault_path", "the absolute path of the vault file, such as /var/lib/dso/vault.enc");
            return null;
        }

        return reader.AbsolutePath(node, mapping.PathOf("vault_path")) is { } vaultPath
            ? new LocalProviderConfig { Name = name, VaultPath = vaultPath }
            : null;
    }

    private static VaultProviderConfig? ReadVaultProvider(ConfigReader reader, string name, ConfigMapping mapping)
    {
        Uri? address = null;
        if (mapping["address"] is { } addressNode)
        {
            address = SecureEndpoint(reader, mapping, "address", "https://vault.example.com:8200", "Vault returns tokens and secret values");
        }
        else
        {
            reader.Missing(mapping, "address", "the server's URL, such as https://vault.example.com:8200");
        }

        string? vaultNamespace = mapping["namespace"] is { } namespaceNode ? reader.String(namespaceNode, mapping.PathOf("namespace")) : null;
        string mount = VaultProviderConfig.DefaultMount;
        if (mapping["mount"] is { } mountNode && reader.String(mountNode, mapping.PathOf("mount")) is { } mountValue)
        {
            mount = mountValue.Trim('/');
            if (mount.Length == 0)
            {
                reader.Error(mountNode, mapping.PathOf("mount"), "must name the KV mount, such as secret.");
            }
        }

        // "auto" queries the server for the mount's version at the first call, and 1 or 2 skips that call.
        int? kvVersion = null;
        if (mapping["kv_version"] is { } versionNode && reader.Choice(versionNode, mapping.PathOf("kv_version"), ["auto", "1", "2"]) is { } versionIndex)
        {
            kvVersion = versionIndex == 0 ? null : versionIndex;
        }

        string? caFile = mapping["ca_file"] is { } caNode ? reader.AbsolutePath(caNode, mapping.PathOf("ca_file")) : null;
        bool skipVerify = mapping["tls_skip_verify"] is { } skipNode && reader.Boolean(skipNode, mapping.PathOf("tls_skip_verify")) == true;

        VaultAuthConfig? auth = null;
        if (mapping["auth"] is { } authNode)
        {
            auth = ReadVaultAuth(reader, authNode, mapping.PathOf("auth"), mapping.Entries.First(entry => entry.Key == "auth").KeyNode.Start.Line);
        }
        else
        {
            reader.Missing(mapping, "auth", "auth: {method: token, token: ${VAULT_TOKEN}} or auth: {method: approle, role_id: ..., secret_id: ...}");
        }

        if (address is null || auth is null)
        {
            return null;
        }

        return new VaultProviderConfig
        {
            Name = name,
            Address = address,
            Namespace = vaultNamespace,
            Mount = mount,
            KvVersion = kvVersion,
            Auth = auth,
            CaFile = caFile,
            TlsSkipVerify = skipVerify,
        };
    }

    private static VaultAuthConfig? ReadVaultAuth(ConfigReader reader, YamlNode node, string keyPath, long line)
    {
        if (reader.Mapping(node, keyPath, line, AgentConfigKeys.VaultAuth) is not { } auth)
        {
            return null;
        }

        if (auth["method"] is not { } methodNode)
        {
            reader.Missing(auth, "method", "token or approle");
            return null;
        }

        if (reader.Choice(methodNode, auth.PathOf("method"), ["token", "approle"]) is not { } methodIndex)
        {
            return null;
        }

        var method = methodIndex == 0 ? VaultAuthMethod.Token : VaultAuthMethod.AppRole;
        string[] needed = method == VaultAuthMethod.Token ? ["token"] : ["role_id", "secret_id"];
        string[] foreign = method == VaultAuthMethod.Token ? ["role_id", "secret_id", "mount"] : ["token"];
        string methodName = method == VaultAuthMethod.Token ? "token" : "approle";

        foreach (string key in foreign.Where(auth.Contains))
        {
            reader.Error(auth.Entries.First(entry => entry.Key == key).KeyNode, auth.PathOf(key), $"does not apply to method {methodName}, which uses {string.Join(" and ", needed)}. Remove it.");
        }

        var values = new Dictionary<string, string>();
        foreach (string key in needed)
        {
            if (auth[key] is not { } valueNode)
            {
                reader.Missing(auth, key, $"method {methodName} needs {string.Join(" and ", needed)}; write a ${{VAR}} reference such as ${{VAULT_{key.ToUpperInvariant()}}}");
                continue;
            }

            if (reader.Credential(valueNode, auth.PathOf(key)) is { } value)
            {
                values[key] = value;
            }
        }

        string appRoleMount = VaultAuthConfig.DefaultAppRoleMount;
        if (method == VaultAuthMethod.AppRole && auth["mount"] is { } mountNode && reader.String(mountNode, auth.PathOf("mount")) is { } mountValue)
        {
            appRoleMount = mountValue.Trim('/');
            if (appRoleMount.Length == 0)
            {
                reader.Error(mountNode, auth.PathOf("mount"), $"must name the AppRole auth mount, such as {VaultAuthConfig.DefaultAppRoleMount}.");
            }
        }

        if (values.Count != needed.Length)
        {
            return null;
        }

        return new VaultAuthConfig
        {
            Method = method,
            Token = values.GetValueOrDefault("token"),
            RoleId = values.GetValueOrDefault("role_id"),
            SecretId = values.GetValueOrDefault("secret_id"),
            AppRoleMount = appRoleMount,
        };
    }

    private static AwsProviderConfig? ReadAwsProvider(ConfigReader reader, string name, ConfigMapping mapping)
    {
        string? region = null;
        if (mapping["region"] is { } regionNode && reader.String(regionNode, mapping.PathOf("region")) is { } regionValue)
        {
            if (AwsRegionPattern().IsMatch(regionValue))
            {
                region = regionValue;
            }
            else
            {
                reader.Error(regionNode, mapping.PathOf("region"), $"must be an AWS region code such as us-east-1 or eu-central-1, not \"{regionValue}\".");
            }
        }

        Uri? endpoint = SecureEndpoint(reader, mapping, "endpoint", "https://secretsmanager.eu-central-1.amazonaws.com", "Secrets Manager returns secret values");
        string? profile = mapping["profile"] is { } profileNode ? reader.String(profileNode, mapping.PathOf("profile")) : null;
        Uri? stsEndpoint = SecureEndpoint(reader, mapping, "sts_endpoint", "https://sts.eu-central-1.amazonaws.com", "STS returns credentials");

        // Without region: the provider takes AWS_REGION, then AWS_DEFAULT_REGION, from the agent's environment.
        bool invalid = mapping["region"] is not null && region is null
            || mapping["endpoint"] is not null && endpoint is null
            || mapping["sts_endpoint"] is not null && stsEndpoint is null;
        return invalid ? null : new AwsProviderConfig { Name = name, Region = region, Endpoint = endpoint, Profile = profile, StsEndpoint = stsEndpoint };
    }

    /// <summary>Reads an endpoint that <see cref="ProviderEndpoints"/> allows, and otherwise reports an error that gives <paramref name="reason"/>.</summary>
    private static Uri? SecureEndpoint(ConfigReader reader, ConfigMapping mapping, string key, string example, string reason)
    {
        if (mapping[key] is not { } node || reader.Url(node, mapping.PathOf(key), example: example) is not { } url)
        {
            return null;
        }

        if (ProviderEndpoints.IsAllowed(url.OriginalString, out Uri? allowed))
        {
            return allowed;
        }

        reader.Error(node, mapping.PathOf(key), $"must be an https URL such as {example} ({ProviderEndpoints.Rule}), not \"{url.OriginalString}\", because {reason}.");
        return null;
    }

    private static AzureProviderConfig? ReadAzureProvider(ConfigReader reader, string name, ConfigMapping mapping)
    {
        Uri? vaultUrl = null;
        if (mapping["vault_url"] is { } urlNode)
        {
            vaultUrl = reader.Url(urlNode, mapping.PathOf("vault_url"), httpsOnly: true, example: "https://my-vault.vault.azure.net/");
            if (vaultUrl is not null && (vaultUrl.AbsolutePath != "/" || vaultUrl.Query.Length > 0 || vaultUrl.Fragment.Length > 0))
            {
                // The SDK appends /secrets/NAME to the URL, so a path or query would end up in the middle of every request.
                reader.Error(urlNode, mapping.PathOf("vault_url"), $"must be the key vault's base URL, such as https://my-vault.vault.azure.net/, without a path, query or fragment; not \"{vaultUrl.GetLeftPart(UriPartial.Authority)}/...\".");
                vaultUrl = null;
            }
        }
        else
        {
            reader.Missing(mapping, "vault_url", "the key vault's URL, such as https://my-vault.vault.azure.net/");
        }

        bool managedIdentity = mapping["managed_identity"] is { } identityNode && reader.Boolean(identityNode, mapping.PathOf("managed_identity")) == true;
        string? tenantId = mapping["tenant_id"] is { } tenantNode ? reader.Credential(tenantNode, mapping.PathOf("tenant_id")) : null;
        string? clientId = mapping["client_id"] is { } clientNode ? reader.Credential(clientNode, mapping.PathOf("client_id")) : null;
        string? clientSecret = mapping["client_secret"] is { } secretNode ? reader.Credential(secretNode, mapping.PathOf("client_secret")) : null;

        if (managedIdentity)
        {
            // A user-assigned identity is chosen by its client id; a tenant or a secret has no meaning here.
            foreach (string key in AzureSecretKeys.Where(mapping.Contains))
            {
                reader.Error(mapping.Entries.First(entry => entry.Key == key).KeyNode, mapping.PathOf(key), "does not apply with managed_identity: true, which needs no secret. Remove it, or set managed_identity: false to use a service principal.");
            }
        }
        else if (AzureServicePrincipalKeys.Any(mapping.Contains))
        {
            // None of the three selects the Azure credential chain (environment, workload identity, managed identity).
            foreach (string key in AzureServicePrincipalKeys.Where(key => !mapping.Contains(key)))
            {
                reader.Missing(mapping, key, "a service principal needs tenant_id, client_id and client_secret; or set managed_identity: true, or remove all three to use the Azure credential chain");
            }
        }

        Uri? authorityHost = mapping["authority_host"] is { } authorityNode ? reader.Url(authorityNode, mapping.PathOf("authority_host"), httpsOnly: true) : null;
        bool disableInstanceDiscovery = mapping["disable_instance_discovery"] is { } discoveryNode
            && reader.Boolean(discoveryNode, mapping.PathOf("disable_instance_discovery")) == true;
        string? caFile = mapping["ca_file"] is { } caNode ? reader.AbsolutePath(caNode, mapping.PathOf("ca_file")) : null;

        return vaultUrl is null
            ? null
            : new AzureProviderConfig
            {
                Name = name,
                VaultUrl = vaultUrl,
                TenantId = tenantId,
                ClientId = clientId,
                ClientSecret = clientSecret,
                ManagedIdentity = managedIdentity,
                AuthorityHost = authorityHost,
                DisableInstanceDiscovery = disableInstanceDiscovery,
                CaFile = caFile,
            };
    }

    /// <summary>
    /// Checks that each path of an azure provider's secrets maps to a valid Key Vault name, and that no two paths
    /// map to the same name, which Key Vault compares without case.
    /// </summary>
    private static void CheckAzureSecretNames(ConfigReader reader, ConfigMapping root, IReadOnlyDictionary<string, ProviderConfig> providers, IReadOnlyDictionary<string, SecretConfig> secrets)
    {
        foreach (IGrouping<string, SecretConfig> group in secrets.Values.Where(secret => providers.GetValueOrDefault(secret.Provider) is AzureProviderConfig).GroupBy(secret => secret.Provider))
        {
            var firstByName = new Dictionary<string, SecretConfig>(StringComparer.OrdinalIgnoreCase);
            foreach (SecretConfig secret in group)
            {
                string keyPath = $"secrets.{secret.Name}.path";
                long line = LineOfSecretPath(root, secret.Name);
                if (Providers.Azure.AzureSecretNames.ToKeyVaultName(secret.Path, out string? problem) is not { } name)
                {
                    reader.Error(line, keyPath, $"\"{secret.Path}\" {problem}. Shorten the path; see the azure name mapping in docs/configuration.md.");
                    continue;
                }

                if (!firstByName.TryAdd(name, secret) && firstByName[name] is { } first && first.Path != secret.Path)
                {
                    reader.Error(line, keyPath, $"\"{secret.Path}\" and secrets.{first.Name}.path \"{first.Path}\" (line {LineOfSecretPath(root, first.Name)}) both map to the Key Vault secret {name} of provider {secret.Provider}, because Key Vault names ignore case. Rename one of the two secrets in the vault and its path here.");
                }
            }
        }
    }

    private static long LineOfSecretPath(ConfigMapping root, string secretName) =>
        root["secrets"] is YamlMappingNode secrets
            && secrets.Children.FirstOrDefault(entry => entry.Key is YamlScalarNode { Value: { } key } && key == secretName).Value is YamlMappingNode secret
            && secret.Children.FirstOrDefault(entry => entry.Key is YamlScalarNode { Value: "path" }).Value is { } pathNode
            ? pathNode.Start.Line
            : LineOfKey(root, "secrets");

    [GeneratedRegex("^[a-z]{2}(-[a-z]+)+-[0-9]+$")]
    private static partial Regex AwsRegionPattern();
}
