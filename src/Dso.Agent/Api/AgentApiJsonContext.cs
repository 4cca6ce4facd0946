using System.Text.Json;
using System.Text.Json.Serialization;
using Dso.Agent.Journal;
using Dso.Agent.Runtime;

namespace Dso.Agent.Api;

/// <summary>Source-generated JSON for every body the agent's local API reads or writes, used by the dso CLI too.</summary>
[JsonSerializable(typeof(AgentStatus))]
[JsonSerializable(typeof(ManualRotationResult))]
[JsonSerializable(typeof(RotateRequest))]
[JsonSerializable(typeof(RotationList))]
[JsonSerializable(typeof(ApiError))]
[JsonSourceGenerationOptions(Converters = [typeof(SnakeCaseStepConverter)])]
internal sealed partial class AgentApiJsonContext : JsonSerializerContext;

/// <summary>Writes rotation steps as dso rotations prints them, such as new_container_created.</summary>
internal sealed class SnakeCaseStepConverter() : JsonStringEnumConverter<RotationStep>(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false);

/// <summary>The body of POST /v1/rotate.</summary>
internal sealed record RotateRequest([property: JsonPropertyName("secret")] string? Secret);

/// <summary>The body of GET /v1/rotations: journal records, newest first.</summary>
internal sealed record RotationList([property: JsonPropertyName("rotations")] IReadOnlyList<RotationRecord> Rotations);

/// <summary>The body of every error response. <see cref="Error"/> names the request and the next step, and never contains a secret value.</summary>
internal sealed record ApiError([property: JsonPropertyName("error")] string Error);
