using System.Text.Json.Serialization;

namespace Dso.Agent.Providers.Aws;

// Request and response shapes of the Secrets Manager JSON protocol (awsJson1_1), named as the API reference
// names them. Responses list only the members dso reads: the serializer skips the others, so that a secret
// value in a BatchGetSecretValue response is never turned into a string.

internal sealed record GetSecretValueRequest
{
    public required string SecretId { get; init; }

    public string? VersionId { get; init; }

    public string? VersionStage { get; init; }
}

internal sealed record BatchGetSecretValueRequest
{
    public required IReadOnlyList<string> SecretIdList { get; init; }

    public string? NextToken { get; init; }
}

internal sealed record BatchGetSecretValueResponse
{
    public IReadOnlyList<SecretVersionEntry>? SecretValues { get; init; }

    public IReadOnlyList<SecretError>? Errors { get; init; }

    public string? NextToken { get; init; }
}

/// <summary>One SecretValues entry of BatchGetSecretValue, without SecretString and SecretBinary.</summary>
internal sealed record SecretVersionEntry
{
    [JsonPropertyName("ARN")]
    public string? Arn { get; init; }

    public string? Name { get; init; }

    public string? VersionId { get; init; }
}

/// <summary>One entry of the Errors list of BatchGetSecretValue (APIErrorType).</summary>
internal sealed record SecretError
{
    public string? SecretId { get; init; }

    public string? ErrorCode { get; init; }

    public string? Message { get; init; }
}

internal sealed record ListSecretsRequest
{
    public int MaxResults { get; init; }
}

/// <summary>The body of a failed call: {"__type": "...", "message": "..."}; some errors spell it Message.</summary>
internal sealed record ErrorResponse
{
    [JsonPropertyName("__type")]
    public string? Type { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }

    [JsonPropertyName("Message")]
    public string? MessageCapitalized { get; init; }
}

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GetSecretValueRequest))]
[JsonSerializable(typeof(BatchGetSecretValueRequest))]
[JsonSerializable(typeof(BatchGetSecretValueResponse))]
[JsonSerializable(typeof(ListSecretsRequest))]
[JsonSerializable(typeof(ErrorResponse))]
internal sealed partial class SecretsManagerJsonContext : JsonSerializerContext;
