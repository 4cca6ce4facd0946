using System.Text.Json.Serialization;

namespace Dso.Agent.Journal;

/// <summary>
/// One rotation of one target, as the journal stores it: container ids, secret names and provider versions,
/// never a value.
/// </summary>
internal sealed record RotationRecord
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    /// <summary>The rotated target, such as "compose:shop/api" or "container:billing".</summary>
    [JsonPropertyName("target")]
    public required string Target { get; init; }

    [JsonPropertyName("strategy")]
    public required string Strategy { get; init; }

    [JsonPropertyName("secrets")]
    public required IReadOnlyList<SecretVersion> Secrets { get; init; }

    [JsonPropertyName("step")]
    public RotationStep Step { get; init; }

    [JsonPropertyName("old_container_id")]
    public string? OldContainerId { get; init; }

    [JsonPropertyName("old_container_name")]
    public string? OldContainerName { get; init; }

    [JsonPropertyName("new_container_id")]
    public string? NewContainerId { get; init; }

    [JsonPropertyName("new_container_name")]
    public string? NewContainerName { get; init; }

    [JsonPropertyName("started_at")]
    public DateTimeOffset StartedAt { get; init; }

    [JsonPropertyName("updated_at")]
    public DateTimeOffset UpdatedAt { get; init; }

    [JsonPropertyName("finished_at")]
    public DateTimeOffset? FinishedAt { get; init; }

    /// <summary>Why the rotation failed; a message built from ids and error codes, never from a value.</summary>
    [JsonPropertyName("error")]
    public string? Error { get; init; }

    /// <summary>Each step reached, with its time, so that the history shows where a crash fell.</summary>
    [JsonPropertyName("history")]
    public IReadOnlyList<StepTime> History { get; init; } = [];
}

/// <summary>
/// A secret's provider version at the time of a rotation, with a keyed fingerprint of the value that was
/// delivered, so that a new provider version holding the same value rotates nothing.
/// </summary>
internal sealed record SecretVersion(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("provider")] string Provider,
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("fingerprint")] string? Fingerprint = null);

/// <summary>What a target last received of one secret.</summary>
internal sealed record AppliedSecret(
    [property: JsonPropertyName("version")] string Version,
    [property: JsonPropertyName("fingerprint")] string? Fingerprint);

internal sealed record StepTime(
    [property: JsonPropertyName("step")] RotationStep Step,
    [property: JsonPropertyName("at")] DateTimeOffset At);
