namespace Dso.Agent.Configuration;

/// <summary>
/// Every key an agent-mode dso.yaml may contain, per mapping. The loader rejects any other key with these lists,
/// and the tests hold docs/configuration.md and docs/dso.schema.json to them, so the three cannot drift apart.
/// </summary>
internal static class AgentConfigKeys
{
    /// <summary>Stands for a user-chosen map key (a provider or secret name) in <see cref="AllPaths"/>.</summary>
    public const string NamePlaceholder = "<name>";

    public static readonly IReadOnlyList<string> Root = ["mode", "providers", "secrets", "agent"];

    public static readonly IReadOnlyDictionary<ProviderType, IReadOnlyList<string>> Provider = new Dictionary<ProviderType, IReadOnlyList<string>>
    {
        [ProviderType.Local] = ["type", "vault_path"],
        [ProviderType.Vault] = ["type", "address", "namespace", "mount", "kv_version", "auth", "ca_file", "tls_skip_verify"],
        [ProviderType.Aws] = ["type", "region", "endpoint", "profile", "sts_endpoint"],
        [ProviderType.Azure] = ["type", "vault_url", "tenant_id", "client_id", "client_secret", "managed_identity", "authority_host", "disable_instance_discovery", "ca_file"],
    };

    public static readonly IReadOnlyList<string> VaultAuth = ["method", "token", "role_id", "secret_id", "mount"];

    public static readonly IReadOnlyList<string> Secret = ["provider", "path", "key", "key_path", "inject", "targets", "rotation"];

    public static readonly IReadOnlyList<string> Inject = ["as", "env", "path", "uid", "gid", "mode"];

    public static readonly IReadOnlyList<string> Targets = ["containers", "labels", "compose"];

    public static readonly IReadOnlyList<string> ComposeTarget = ["project", "service"];

    public static readonly IReadOnlyList<string> Rotation = ["strategy", "signal", "health_timeout", "debounce", "cooldown", "probe"];

    public static readonly IReadOnlyList<string> Probe = ["tcp", "http", "port"];

    public static readonly IReadOnlyList<string> Agent = ["poll_interval", "state", "locks", "api", "socket"];

    public static readonly IReadOnlyList<string> AgentState = ["directory", "retention"];

    public static readonly IReadOnlyList<string> AgentLocks = ["directory", "stale_after"];

    public static readonly IReadOnlyList<string> AgentApi = ["address"];

    /// <summary>The provider types as written in dso.yaml, in the order of <see cref="ProviderType"/>.</summary>
    public static readonly IReadOnlyList<string> ProviderTypes = ["local", "vault", "aws", "azure"];

    /// <summary>
    /// Every key as a dotted path, with <see cref="NamePlaceholder"/> for provider and secret names, such as
    /// "secrets.&lt;name&gt;.rotation.probe.tcp". Mappings are listed as well as their keys.
    /// </summary>
    public static IReadOnlyList<string> AllPaths()
    {
        var paths = new List<string>();
        void Add(string prefix, IEnumerable<string> keys) => paths.AddRange(keys.Select(key => $"{prefix}.{key}"));

        paths.AddRange(Root);
        paths.Add($"providers.{NamePlaceholder}");
        Add($"providers.{NamePlaceholder}", Provider.Values.SelectMany(keys => keys).Distinct());
        Add($"providers.{NamePlaceholder}.auth", VaultAuth);
        paths.Add($"secrets.{NamePlaceholder}");
        Add($"secrets.{NamePlaceholder}", Secret);
        Add($"secrets.{NamePlaceholder}.inject", Inject);
        Add($"secrets.{NamePlaceholder}.targets", Targets);
        Add($"secrets.{NamePlaceholder}.targets.compose", ComposeTarget);
        Add($"secrets.{NamePlaceholder}.rotation", Rotation);
        Add($"secrets.{NamePlaceholder}.rotation.probe", Probe);
        Add("agent", Agent);
        Add("agent.state", AgentState);
        Add("agent.locks", AgentLocks);
        Add("agent.api", AgentApi);
        return paths;
    }
}
