using System.Text.Json.Serialization;

namespace Dso.Agent.Providers.HashiCorp;

// The parts of Vault's HTTP API responses that dso reads. Vault writes snake_case names, and any field not
// listed here (such as lookup-self's "id", which is the token itself) is skipped, never stored.

/// <summary>The body of a failed call: <c>{"errors": ["..."]}</c>.</summary>
internal sealed class VaultErrorBody
{
    public List<string>? Errors { get; set; }
}

/// <summary>The response of an auth method's login and of <c>auth/token/renew-self</c>.</summary>
internal sealed class VaultAuthBody
{
    public VaultAuthData? Auth { get; set; }
}

internal sealed class VaultAuthData
{
    public string? ClientToken { get; set; }

    /// <summary>The token's time to live in seconds; 0 means it never expires.</summary>
    public long LeaseDuration { get; set; }

    public bool Renewable { get; set; }
}

/// <summary>The response of <c>auth/token/lookup-self</c>.</summary>
internal sealed class VaultLookupBody
{
    public VaultLookupData? Data { get; set; }
}

internal sealed class VaultLookupData
{
    /// <summary>The remaining time to live in seconds; 0 means it never expires (a root token).</summary>
    public long Ttl { get; set; }

    public bool Renewable { get; set; }
}

/// <summary>The response of <c>sys/internal/ui/mounts/&lt;mount&gt;</c>.</summary>
internal sealed class VaultMountBody
{
    public VaultMountData? Data { get; set; }
}

internal sealed class VaultMountData
{
    /// <summary>The engine type: "kv" (or "generic" on old servers) for a KV mount.</summary>
    public string? Type { get; set; }

    public VaultMountOptions? Options { get; set; }
}

internal sealed class VaultMountOptions
{
    /// <summary>"1" or "2" for a KV mount; missing on a version 1 mount created without options.</summary>
    public string? Version { get; set; }
}

/// <summary>
/// The response of a KV version 2 read, <c>&lt;mount&gt;/data/&lt;path&gt;</c>, without the secret data, which
/// <see cref="JsonObjectLocator"/> cuts out of the raw bytes so that it never becomes a string.
/// </summary>
internal sealed class KvDataBody
{
    public KvDataEnvelope? Data { get; set; }
}

internal sealed class KvDataEnvelope
{
    public KvVersionMetadata? Metadata { get; set; }
}

internal sealed class KvVersionMetadata
{
    public int Version { get; set; }

    /// <summary>When the version was soft-deleted, or empty.</summary>
    public string? DeletionTime { get; set; }

    public bool Destroyed { get; set; }
}

/// <summary>The response of a KV version 2 metadata read, <c>&lt;mount&gt;/metadata/&lt;path&gt;</c>.</summary>
internal sealed class KvMetadataBody
{
    public KvSecretMetadata? Data { get; set; }
}

internal sealed class KvSecretMetadata
{
    public int CurrentVersion { get; set; }

    /// <summary>The state of each kept version, keyed by its number.</summary>
    public Dictionary<string, KvVersionMetadata>? Versions { get; set; }
}

/// <summary>The request body of <c>auth/&lt;mount&gt;/login</c> for AppRole.</summary>
internal sealed class AppRoleLoginRequest
{
    public required string RoleId { get; init; }

    public required string SecretId { get; init; }
}

[JsonSerializable(typeof(VaultErrorBody))]
[JsonSerializable(typeof(VaultAuthBody))]
[JsonSerializable(typeof(VaultLookupBody))]
[JsonSerializable(typeof(VaultMountBody))]
[JsonSerializable(typeof(KvDataBody))]
[JsonSerializable(typeof(KvMetadataBody))]
[JsonSerializable(typeof(AppRoleLoginRequest))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
internal sealed partial class VaultJsonContext : JsonSerializerContext;
