using System.Text.Json.Serialization;

namespace Dso.Agent.Runtime;

/// <summary>The agent's state as dso status shows it. Holds names, ids and versions, never a value.</summary>
internal sealed record AgentStatus
{
    [JsonPropertyName("pid")]
    public required int Pid { get; init; }

    [JsonPropertyName("started_at")]
    public required DateTimeOffset StartedAt { get; init; }

    [JsonPropertyName("config")]
    public required string ConfigPath { get; init; }

    [JsonPropertyName("providers")]
    public required IReadOnlyList<ProviderStatus> Providers { get; init; }

    [JsonPropertyName("secrets")]
    public required IReadOnlyList<SecretStatus> Secrets { get; init; }

    [JsonPropertyName("targets")]
    public required IReadOnlyList<TargetStatus> Targets { get; init; }

    /// <summary>Ids of journal records of rotations that are running now.</summary>
    [JsonPropertyName("rotations_in_flight")]
    public required IReadOnlyList<string> RotationsInFlight { get; init; }
}

internal sealed record ProviderStatus(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("healthy")] bool Healthy,
    [property: JsonPropertyName("reason")] string? Reason,
    [property: JsonPropertyName("since")] DateTimeOffset Since);

internal sealed record SecretStatus
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("provider")]
    public required string Provider { get; init; }

    /// <summary>The provider version last fetched, or null before the first successful poll.</summary>
    [JsonPropertyName("version")]
    public string? Version { get; init; }

    [JsonPropertyName("last_checked")]
    public DateTimeOffset? LastChecked { get; init; }

    /// <summary>The last fetch error, or null when the last poll succeeded.</summary>
    [JsonPropertyName("error")]
    public string? Error { get; init; }

    [JsonPropertyName("consecutive_errors")]
    public int ConsecutiveErrors { get; init; }
}

internal sealed record TargetStatus
{
    /// <summary>The target key, such as "compose:shop/api" or "container:billing".</summary>
    [JsonPropertyName("target")]
    public required string Target { get; init; }

    [JsonPropertyName("container_id")]
    public string? ContainerId { get; init; }

    [JsonPropertyName("container_name")]
    public string? ContainerName { get; init; }

    [JsonPropertyName("strategy")]
    public required string Strategy { get; init; }

    /// <summary>Secret name to the version applied to this target.</summary>
    [JsonPropertyName("applied")]
    public required IReadOnlyDictionary<string, string> Applied { get; init; }

    /// <summary>
    /// "unchecked" (seen, not yet compared), "current", "waiting" (a secret has no value yet), "pending" (a change
    /// waits for debounce or cooldown), "rotating", "failed", or "stopped" (the container does not run).
    /// </summary>
    [JsonPropertyName("state")]
    public required string State { get; init; }

    [JsonPropertyName("last_error")]
    public string? LastError { get; init; }
}

/// <summary>
/// The outcome of dso rotate: one entry per target that needed the new version, or, when the secret could not be
/// fetched, no entry and the fetch error.
/// </summary>
internal sealed record ManualRotationResult(
    [property: JsonPropertyName("secret")] string Secret,
    [property: JsonPropertyName("version")] string? Version,
    [property: JsonPropertyName("rotations")] IReadOnlyList<TargetRotationResult> Rotations,
    [property: JsonPropertyName("error")] string? Error = null);

internal sealed record TargetRotationResult(
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("rotation_id")] string? RotationId,
    [property: JsonPropertyName("outcome")] string Outcome,
    [property: JsonPropertyName("error")] string? Error);
