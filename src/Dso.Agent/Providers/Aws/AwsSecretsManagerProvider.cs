using System.Security.Cryptography;
using System.Text.Json;
using Amazon.Runtime;
using Dso.Agent.Configuration;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Providers.Aws;

/// <summary>
/// AWS Secrets Manager over its JSON protocol, with credentials and SigV4 signing from AWSSDK.Core.
/// A secret's path is its name or ARN, and its version id is the Secrets Manager VersionId.
/// </summary>
/// <remarks>
/// Change detection uses BatchGetSecretValue with up to 20 secret ids per call, so a poll of N secrets costs
/// ceil(N / 20) calls when no response is paginated. Only the VersionId of each entry is deserialized and the
/// response buffer is cleared, but the values do cross the network, and CloudTrail logs a GetSecretValue event per
/// secret. ListSecrets would return versions without values, but its permission cannot be limited to the secrets
/// dso reads, and its name filter matches prefixes, so other secrets' entries come back too.
/// </remarks>
internal sealed partial class AwsSecretsManagerProvider : ISecretProvider
{
    /// <summary>The largest SecretIdList that BatchGetSecretValue accepts.</summary>
    public const int BatchSize = 20;

    // Stops a server that keeps returning NextToken from holding a poll forever.
    private const int MaxPagesPerBatch = 100;

    private readonly SecretsManagerClient _client;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private ProviderHealth _health;

    public AwsSecretsManagerProvider(AwsProviderConfig config, ProviderContext context)
        : this(config, context, ProviderResilienceOptions.Default, credentials: null, handler: null)
    {
    }

    /// <param name="credentials">
    /// Resolves the credentials on the first call, and again after a resolution failed; null for
    /// <see cref="AwsCredentialChain"/> with the provider's profile, region and STS endpoint.
    /// </param>
    /// <param name="handler">The HTTP handler, or null for a pooled <see cref="SocketsHttpHandler"/>. The provider does not dispose it.</param>
    internal AwsSecretsManagerProvider(
        AwsProviderConfig config,
        ProviderContext context,
        ProviderResilienceOptions resilience,
        Func<AWSCredentials>? credentials,
        HttpMessageHandler? handler)
    {
        Name = config.Name;
        _time = context.Time;
        _logger = context.LoggerFactory.CreateLogger<AwsSecretsManagerProvider>();
        Region = config.Region
            ?? NonEmpty(context.Environment("AWS_REGION"))
            ?? NonEmpty(context.Environment("AWS_DEFAULT_REGION"))
            ?? throw new ProviderException(
                Name,
                ProviderErrorKind.Invalid,
                $"Provider {Name}: no AWS region is set. Add region: (such as us-east-1) to providers.{Name} in dso.yaml, or set AWS_REGION in the agent's environment (/etc/dso/agent.env).");

        if (!Region.All(character => char.IsAsciiLetterLower(character) || char.IsAsciiDigit(character) || character == '-'))
        {
            throw new ProviderException(
                Name,
                ProviderErrorKind.Invalid,
                $"Provider {Name}: \"{Region}\" from AWS_REGION or AWS_DEFAULT_REGION is not an AWS region code. Set a code such as us-east-1.");
        }

        StsEndpoint = config.StsEndpoint ?? StsEndpointFromEnvironment(context.Environment) ?? AwsStsSettings.RegionalEndpoint(Region);
        credentials ??= AwsCredentialChain.Create(
            config.Profile, context.Environment, new AwsStsSettings(Name, Region, StsEndpoint, context.Time, context.LoggerFactory));

        var policy = new ProviderResilience(Name, resilience, context.Time, context.LoggerFactory.CreateLogger<ProviderResilience>());
        _client = new SecretsManagerClient(
            Name, Region, config.Endpoint ?? DefaultEndpoint(Region), credentials, policy, context.Time, handler, LogCredentialsSource);
        _health = ProviderHealth.Healthy(context.Time.GetUtcNow());
    }

    public string Name { get; }

    /// <summary>The region that signs the calls: from dso.yaml, else AWS_REGION, else AWS_DEFAULT_REGION.</summary>
    public string Region { get; }

    public Uri Endpoint => _client.Endpoint;

    /// <summary>The STS endpoint for web identity and role profiles: sts_endpoint from dso.yaml, else AWS_ENDPOINT_URL_STS, else the region's.</summary>
    public Uri StsEndpoint { get; }

    public ProviderHealth Health => Volatile.Read(ref _health);

    public async Task<IReadOnlyDictionary<string, VersionLookup>> GetCurrentVersionsAsync(
        IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        string[][] batches = paths.Distinct(StringComparer.Ordinal).Chunk(BatchSize).ToArray();

        // Batches run at once, and the resilience policy's concurrency limit bounds the connections.
        IReadOnlyDictionary<string, VersionLookup>[] results = await Task.WhenAll(
            batches.Select(batch => LookUpBatchAsync(batch, cancellationToken))).ConfigureAwait(false);

        var merged = new Dictionary<string, VersionLookup>(StringComparer.Ordinal);
        foreach (IReadOnlyDictionary<string, VersionLookup> result in results)
        {
            foreach ((string path, VersionLookup lookup) in result)
            {
                merged[path] = lookup;
            }
        }

        return merged;
    }

    public Task<SecretPayload> FetchAsync(string path, string? versionId, CancellationToken cancellationToken) =>
        FetchAsync(path, versionId, versionStage: null, cancellationToken);

    /// <summary>
    /// Reads a value by version id or by staging label (AWSCURRENT, AWSPENDING, AWSPREVIOUS or a custom label);
    /// with neither, the AWSCURRENT version.
    /// </summary>
    public async Task<SecretPayload> FetchAsync(string path, string? versionId, string? versionStage, CancellationToken cancellationToken)
    {
        var request = new GetSecretValueRequest { SecretId = path, VersionId = versionId, VersionStage = versionStage };
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(request, SecretsManagerJsonContext.Default.GetSecretValueRequest);
        string subject = Subject(path, versionId, versionStage);
        byte[] response = await CallAsync("GetSecretValue", subject, body, cancellationToken).ConfigureAwait(false);
        try
        {
            return SecretValueReader.Read(response, Name, subject);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(response);
        }
    }

    /// <summary>Resolves the credentials and calls ListSecrets with MaxResults 1, the cheapest signed call.</summary>
    public async Task CheckConnectionAsync(CancellationToken cancellationToken)
    {
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new ListSecretsRequest { MaxResults = 1 }, SecretsManagerJsonContext.Default.ListSecretsRequest);
        byte[] response = await CallAsync("ListSecrets", "a connection check", body, cancellationToken).ConfigureAwait(false);
        CryptographicOperations.ZeroMemory(response);
    }

    public ValueTask DisposeAsync()
    {
        _client.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<IReadOnlyDictionary<string, VersionLookup>> LookUpBatchAsync(string[] ids, CancellationToken cancellationToken)
    {
        var found = new Dictionary<string, VersionLookup>(StringComparer.Ordinal);
        string subject = BatchSubject(ids);
        string? nextToken = null;
        for (int page = 0; page < MaxPagesPerBatch; page++)
        {
            BatchGetSecretValueResponse response;
            try
            {
                response = await CallBatchAsync(ids, nextToken, subject, cancellationToken).ConfigureAwait(false);
            }
            catch (ProviderException error)
            {
                foreach (string id in ids.Where(id => !found.ContainsKey(id)))
                {
                    found[id] = VersionLookup.Failed(error);
                }

                return found;
            }

            Collect(ids, response, found);
            if (response.NextToken is null || response.NextToken == nextToken || found.Count == ids.Length)
            {
                break;
            }

            nextToken = response.NextToken;
        }

        foreach (string id in ids.Where(id => !found.ContainsKey(id)))
        {
            found[id] = VersionLookup.Failed(new ProviderException(
                Name,
                ProviderErrorKind.Invalid,
                $"Provider {Name}: BatchGetSecretValue for secret {id} at {Endpoint} returned neither a version nor an error for it. Check that the endpoint is Secrets Manager."));
        }

        return found;
    }

    private async Task<BatchGetSecretValueResponse> CallBatchAsync(string[] ids, string? nextToken, string subject, CancellationToken cancellationToken)
    {
        var request = new BatchGetSecretValueRequest { SecretIdList = ids, NextToken = nextToken };
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(request, SecretsManagerJsonContext.Default.BatchGetSecretValueRequest);
        byte[] response = await CallAsync("BatchGetSecretValue", subject, body, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize(response, SecretsManagerJsonContext.Default.BatchGetSecretValueResponse)
                ?? throw new JsonException("The response is JSON null.");
        }
        catch (JsonException error)
        {
            // The exception's message names a position in the body, never its content.
            throw new ProviderException(
                Name,
                ProviderErrorKind.Invalid,
                $"Provider {Name}: BatchGetSecretValue for {subject} returned a body that is not a BatchGetSecretValue response ({error.Message}). Check that {Endpoint} is Secrets Manager.",
                error);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(response);
        }
    }

    private void Collect(string[] ids, BatchGetSecretValueResponse response, Dictionary<string, VersionLookup> found)
    {
        foreach (SecretVersionEntry entry in response.SecretValues ?? [])
        {
            foreach (string id in ids.Where(id => !found.ContainsKey(id) && Identifies(id, entry)))
            {
                found[id] = entry.VersionId is { Length: > 0 } versionId
                    ? VersionLookup.Found(versionId)
                    : VersionLookup.Failed(new ProviderException(
                        Name,
                        ProviderErrorKind.Invalid,
                        $"Provider {Name}: BatchGetSecretValue for secret {id} returned no VersionId. Check that {Endpoint} is Secrets Manager."));
            }
        }

        foreach (SecretError error in response.Errors ?? [])
        {
            if (error.SecretId is { } id && ids.Contains(id, StringComparer.Ordinal) && !found.ContainsKey(id))
            {
                found[id] = VersionLookup.Failed(EntryFailure(id, error));
            }
        }
    }

    private ProviderException EntryFailure(string id, SecretError error)
    {
        string? code = SecretsManagerErrors.ShortCode(error.ErrorCode);
        ProviderErrorKind kind = SecretsManagerErrors.Classify(status: null, code, error.Message);
        string quoted = _client.RedactServiceMessage(error.Message) is { } message ? $": {message}" : "";
        return new ProviderException(
            Name,
            kind,
            $"Provider {Name}: BatchGetSecretValue for secret {id} failed with {code ?? "an unnamed error"}{quoted}. "
            + SecretsManagerErrors.Advice(kind, "GetSecretValue", code, Endpoint));
    }

    /// <summary>Sends one call and keeps <see cref="Health"/> current: unhealthy after an authentication failure or an open circuit, healthy after any success.</summary>
    private async Task<byte[]> CallAsync(string operation, string subject, byte[] body, CancellationToken cancellationToken)
    {
        try
        {
            byte[] response = await _client.SendAsync(operation, subject, body, cancellationToken).ConfigureAwait(false);
            MarkHealthy();
            return response;
        }
        catch (ProviderException error) when (error.Kind is ProviderErrorKind.Unauthenticated or ProviderErrorKind.CircuitOpen)
        {
            MarkUnhealthy(error.Message);
            throw;
        }
    }

    // A full ARN matches exactly; a partial ARN (without the 6-character suffix Secrets Manager appends) matches its prefix.
    private static bool Identifies(string id, SecretVersionEntry entry) =>
        string.Equals(id, entry.Name, StringComparison.Ordinal)
        || string.Equals(id, entry.Arn, StringComparison.Ordinal)
        || entry.Arn is { } arn && arn.Length == id.Length + 7 && arn.StartsWith(id + "-", StringComparison.Ordinal);

    private static Uri DefaultEndpoint(string region) =>
        new($"https://secretsmanager.{region}.{(region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com")}/");

    private Uri? StsEndpointFromEnvironment(Func<string, string?> environment)
    {
        if (NonEmpty(environment("AWS_ENDPOINT_URL_STS")) is not { } value)
        {
            return null;
        }

        return ProviderEndpoints.IsAllowed(value, out Uri? endpoint)
            ? endpoint
            : throw new ProviderException(
                Name,
                ProviderErrorKind.Invalid,
                $"Provider {Name}: AWS_ENDPOINT_URL_STS \"{ConfigReader.WithoutUserInfo(value)}\" in the agent's environment is not an https URL without user information (http only on a loopback address or localhost). Correct it, or set sts_endpoint in providers.{Name} in dso.yaml.");
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string Subject(string path, string? versionId, string? versionStage) =>
        (versionId, versionStage) switch
        {
            (not null, _) => $"secret {path} version {versionId}",
            (null, not null) => $"secret {path} stage {versionStage}",
            _ => $"secret {path}",
        };

    private static string BatchSubject(string[] ids) =>
        ids.Length switch
        {
            1 => $"secret {ids[0]}",
            <= 3 => $"secrets {string.Join(", ", ids)}",
            _ => $"{ids.Length} secrets ({ids[0]}, {ids[1]}, {ids[2]} and {ids.Length - 3} more)",
        };

    private void MarkHealthy()
    {
        ProviderHealth current = Volatile.Read(ref _health);
        if (!current.IsHealthy)
        {
            Volatile.Write(ref _health, ProviderHealth.Healthy(_time.GetUtcNow()));
            LogHealthy(Name);
        }
    }

    private void MarkUnhealthy(string reason)
    {
        ProviderHealth current = Volatile.Read(ref _health);
        if (current.IsHealthy || current.Reason != reason)
        {
            Volatile.Write(ref _health, ProviderHealth.Unhealthy(reason, _time.GetUtcNow()));
            LogUnhealthy(Name, reason);
        }
    }

    private void LogCredentialsSource(AWSCredentials credentials) => LogCredentialsResolved(Name, credentials.GetType().Name, Region, Endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Provider {Provider}: using AWS credentials of type {CredentialsType} for region {Region} at {Endpoint}")]
    private partial void LogCredentialsResolved(string provider, string credentialsType, string region, Uri endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider}: unhealthy: {Reason}")]
    private partial void LogUnhealthy(string provider, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Provider {Provider}: healthy again after a successful call")]
    private partial void LogHealthy(string provider);
}
