using System.Text.Json.Serialization;

namespace Dso.Agent.Locks;

/// <summary>The content of a lock file: who holds it, since when, and for which containers.</summary>
internal sealed record LockInfo
{
    [JsonPropertyName("key")]
    public required string Key { get; init; }

    [JsonPropertyName("pid")]
    public required int Pid { get; init; }

    /// <summary>The owner's start time in clock ticks since boot (/proc/PID/stat field 22), which tells a reused pid apart.</summary>
    [JsonPropertyName("pid_start_ticks")]
    public long? PidStartTicks { get; init; }

    [JsonPropertyName("host")]
    public required string Host { get; init; }

    [JsonPropertyName("started_at")]
    public required DateTimeOffset StartedAt { get; init; }

    [JsonPropertyName("container_ids")]
    public IReadOnlyList<string> ContainerIds { get; init; } = [];
}

[JsonSerializable(typeof(LockInfo))]
[JsonSourceGenerationOptions(WriteIndented = true)]
internal sealed partial class LockJsonContext : JsonSerializerContext;
