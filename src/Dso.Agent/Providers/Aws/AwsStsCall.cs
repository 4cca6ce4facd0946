using System.Net;
using System.Xml;
using Amazon;
using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;

namespace Dso.Agent.Providers.Aws;

/// <summary>
/// One way to obtain a role's credentials from STS: AssumeRoleWithWebIdentity with a token read from a file,
/// or AssumeRole signed with a source profile's credentials. A failure becomes a <see cref="ProviderException"/>
/// that names the provider, the role, the STS endpoint, the STS error code and the HTTP status, and never the
/// token or a credential.
/// </summary>
/// <remarks>
/// The STS client is constructed here with an explicit configuration, not loaded by the SDK through reflection,
/// so that it also works in the Native AOT build. The SDK's own retries are off, because every attempt already
/// runs inside the provider's resilience pipeline.
/// </remarks>
internal sealed class AwsStsCall : IDisposable
{
    public const string WebIdentityOperation = "AssumeRoleWithWebIdentity";
    public const string AssumeRoleOperation = "AssumeRole";

    // Longer service messages are cut, because their start is enough to act on.
    private const int MaxServiceMessageLength = 300;

    // Bounds a call whose callers all stopped waiting. The provider's attempt timeout (10 s by default) usually ends the wait first.
    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(30);

    private readonly AmazonSecurityTokenServiceClient _client;
    private readonly Func<AmazonSecurityTokenServiceClient, string?, CancellationToken, Task<Credentials?>> _send;
    private readonly AWSCredentials? _source;
    private readonly string? _tokenFile;

    private AwsStsCall(
        AwsStsSettings settings,
        string operation,
        string roleArn,
        string origin,
        AWSCredentials? source,
        string? tokenFile,
        Func<AmazonSecurityTokenServiceClient, string?, CancellationToken, Task<Credentials?>> send)
    {
        Provider = settings.Provider;
        Endpoint = settings.Endpoint;
        Operation = operation;
        RoleArn = roleArn;
        Origin = origin;
        _source = source;
        _tokenFile = tokenFile;
        _send = send;
        _client = new AmazonSecurityTokenServiceClient(source ?? new AnonymousAWSCredentials(), ClientConfig(settings));
    }

    public string Provider { get; }

    public Uri Endpoint { get; }

    /// <summary>The STS operation: <see cref="WebIdentityOperation"/> or <see cref="AssumeRoleOperation"/>.</summary>
    public string Operation { get; }

    public string RoleArn { get; }

    /// <summary>Where the role's settings come from, for messages: "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE" or "profile dso in /etc/dso/aws/config".</summary>
    public string Origin { get; }

    /// <summary>Calls AssumeRoleWithWebIdentity with the token that <paramref name="tokenFile"/> contains at the time of each call.</summary>
    public static AwsStsCall WebIdentity(AwsStsSettings settings, string roleArn, string tokenFile, string sessionName, int? durationSeconds, string origin) =>
        new(settings, WebIdentityOperation, roleArn, origin, source: null, tokenFile, async (client, token, cancellationToken) =>
        {
            var request = new AssumeRoleWithWebIdentityRequest { RoleArn = roleArn, RoleSessionName = sessionName, WebIdentityToken = token };
            if (durationSeconds is { } duration)
            {
                request.DurationSeconds = duration;
            }

            AssumeRoleWithWebIdentityResponse response = await client.AssumeRoleWithWebIdentityAsync(request, cancellationToken).ConfigureAwait(false);
            return response.Credentials;
        });

    /// <summary>Calls AssumeRole, signed with the credentials of <paramref name="source"/>.</summary>
    public static AwsStsCall AssumeRole(
        AwsStsSettings settings, AWSCredentials source, string roleArn, string sessionName, string? externalId, int? durationSeconds, string origin) =>
        new(settings, AssumeRoleOperation, roleArn, origin, source, tokenFile: null, async (client, _, cancellationToken) =>
        {
            var request = new AssumeRoleRequest { RoleArn = roleArn, RoleSessionName = sessionName, ExternalId = externalId };
            if (durationSeconds is { } duration)
            {
                request.DurationSeconds = duration;
            }

            AssumeRoleResponse response = await client.AssumeRoleAsync(request, cancellationToken).ConfigureAwait(false);
            return response.Credentials;
        });

    /// <summary>Sends the request once and returns the credentials that STS issued.</summary>
    /// <exception cref="ProviderException">The token file could not be read, STS rejected the request, or STS could not be reached.</exception>
    public async Task<Credentials> AssumeAsync(CancellationToken cancellationToken)
    {
        string? token = null;
        ImmutableCredentials? sourceKeys = null;
        try
        {
            // The client resolves the source credentials itself; this copy only lets a rejection's message be cleaned of them.
            sourceKeys = _source is null ? null : await _source.GetCredentialsAsync().ConfigureAwait(false);
            // The token is read at each call, because its issuer replaces the file before the token expires.
            token = _tokenFile is null ? null : await ReadTokenAsync(_tokenFile, cancellationToken).ConfigureAwait(false);
            Credentials? issued = await _send(_client, token, cancellationToken).ConfigureAwait(false);
            if (issued is not { AccessKeyId.Length: > 0, SecretAccessKey.Length: > 0, SessionToken.Length: > 0 })
            {
                throw new ProviderException(
                    Provider,
                    ProviderErrorKind.Invalid,
                    $"Provider {Provider}: STS {Operation} for role {RoleArn} at {Endpoint} returned no complete credentials. Check that the STS endpoint is STS.");
            }

            return issued;
        }
        catch (Exception error) when (error is AmazonUnmarshallingException or XmlException)
        {
            // Not kept as the inner exception, because the SDK's message can quote the response body.
            throw new ProviderException(
                Provider,
                ProviderErrorKind.Invalid,
                $"Provider {Provider}: STS {Operation} for role {RoleArn} at {Endpoint} returned a response that is not an STS response. Check that the STS endpoint is STS.");
        }
        catch (AmazonServiceException error) when (error.StatusCode != 0 && error.InnerException is not HttpRequestException)
        {
            throw Rejected(error, token, sourceKeys);
        }
        catch (Exception error) when (error is AmazonClientException or AmazonServiceException or HttpRequestException or IOException
            || error is TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw Unreachable(error);
        }
    }

    public void Dispose()
    {
        _client.Dispose();
        (_source as IDisposable)?.Dispose();
    }

    private static AmazonSecurityTokenServiceConfig ClientConfig(AwsStsSettings settings) => new()
    {
        ServiceURL = settings.Endpoint.ToString(),
        AuthenticationRegion = settings.Region,
        MaxErrorRetry = 0,
        Timeout = ClientTimeout,
        IgnoreConfiguredEndpointUrls = true,
    };

    /// <summary>
    /// The maximum size of a web identity token file. Identity tokens are a few KiB, and the limit keeps a wrong
    /// path such as /dev/zero from filling memory.
    /// </summary>
    internal const int MaxTokenFileBytes = 64 * 1024;

    private async Task<string> ReadTokenAsync(string tokenFile, CancellationToken cancellationToken)
    {
        if (Directory.Exists(tokenFile))
        {
            throw new ProviderException(
                Provider,
                ProviderErrorKind.Unauthenticated,
                $"Provider {Provider}: the web identity token file {tokenFile} (from {Origin}) for role {RoleArn} is a directory, not a file. Correct the path.");
        }

        string token;
        try
        {
            await using FileStream stream = new(tokenFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 4096, useAsync: true);
            byte[] buffer = new byte[MaxTokenFileBytes + 1];
            int length = 0;
            int read;
            while (length < buffer.Length && (read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
            }

            if (length > MaxTokenFileBytes)
            {
                throw new ProviderException(
                    Provider,
                    ProviderErrorKind.Unauthenticated,
                    $"Provider {Provider}: the web identity token file {tokenFile} (from {Origin}) for role {RoleArn} holds more than {MaxTokenFileBytes / 1024} KiB, "
                    + "which no identity token does. Check that the path names the token file.");
            }

            token = System.Text.Encoding.UTF8.GetString(buffer, 0, length).Trim();
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            throw new ProviderException(
                Provider,
                ProviderErrorKind.Unauthenticated,
                $"Provider {Provider}: the web identity token file {tokenFile} (from {Origin}) for role {RoleArn} could not be read: {Describe(error)}. "
                + "Check that the file exists and that the agent's user may read it, or correct the path.",
                error);
        }

        if (token.Length == 0)
        {
            throw new ProviderException(
                Provider,
                ProviderErrorKind.Unauthenticated,
                $"Provider {Provider}: the web identity token file {tokenFile} (from {Origin}) for role {RoleArn} is empty. "
                + "Check that the identity provider's token is written to it.");
        }

        return token;
    }

    private static string Describe(Exception error) => error switch
    {
        FileNotFoundException or DirectoryNotFoundException => "the file does not exist",
        UnauthorizedAccessException => "permission denied",
        _ => error.Message.ReplaceLineEndings(" ").Trim().TrimEnd('.'),
    };

    private ProviderException Rejected(AmazonServiceException error, string? token, ImmutableCredentials? sourceKeys)
    {
        int status = (int)error.StatusCode;
        string code = string.IsNullOrEmpty(error.ErrorCode) ? "an unnamed error" : error.ErrorCode;
        ProviderErrorKind kind = Classify(status, error.ErrorCode);
        string? message = Redact(error.Message, token, sourceKeys);
        string quoted = message is null ? "" : $": {message}";
        // The SDK's exception is not kept as the inner exception, because its message is STS's message before redaction.
        return new ProviderException(
            Provider,
            kind,
            $"Provider {Provider}: STS {Operation} for role {RoleArn} (from {Origin}) at {Endpoint} failed with HTTP {status} {code}{quoted}. {Advice(kind, error.ErrorCode)}")
        {
            StatusCode = status,
        };
    }

    private ProviderException Unreachable(Exception error) =>
        new(
            Provider,
            ProviderErrorKind.Unavailable,
            $"Provider {Provider}: STS {Operation} for role {RoleArn} (from {Origin}) could not reach {Endpoint}: {NetworkErrors.Describe(error)}. "
            + (NetworkErrors.IsTlsFailure(error)
                ? $"Check that the certificate of {Endpoint} is valid for its name and signed by a CA in the system's trust store."
                : $"dso retries with backoff; if this repeats, check that {Endpoint} is reachable from this host, or set providers.{Provider}.sts_endpoint."),
            error);

    private static ProviderErrorKind Classify(int status, string? code)
    {
        if (status == (int)HttpStatusCode.TooManyRequests || code is "Throttling" or "ThrottlingException" or "RequestLimitExceeded")
        {
            return ProviderErrorKind.Throttled;
        }

        // IDPCommunicationError: STS could not reach the identity provider, which the STS API reference calls often transient.
        return status >= 500 || code is "IDPCommunicationError" or "InternalFailure" or "ServiceUnavailable"
            ? ProviderErrorKind.Unavailable
            : ProviderErrorKind.Unauthenticated;
    }

    private string Advice(ProviderErrorKind kind, string? code) => (kind, code) switch
    {
        (ProviderErrorKind.Throttled, _) => "dso retries with backoff; if this repeats, raise agent.poll_interval.",
        (ProviderErrorKind.Unavailable, _) => $"dso retries with backoff; if this repeats, check that {Endpoint} and the identity provider are reachable.",
        (_, "AccessDenied") when Operation == WebIdentityOperation =>
            "Check the role ARN and that the role's trust policy allows sts:AssumeRoleWithWebIdentity for the token's issuer, audience and subject.",
        (_, "AccessDenied") =>
            "Check the role ARN, that the role's trust policy allows the source identity sts:AssumeRole (with the external id, if set), and that the source identity's policy allows sts:AssumeRole on the role.",
        (_, "InvalidIdentityToken" or "IDPRejectedClaim") =>
            "Check that the token file holds a current token from an identity provider that the account's IAM trusts (an IAM OIDC provider with the token's issuer and audience).",
        (_, "ExpiredToken" or "ExpiredTokenException") when Operation == WebIdentityOperation =>
            "The web identity token expired: check that whatever writes the token file renews it.",
        (_, "ExpiredToken" or "ExpiredTokenException") => "The source credentials expired: renew the source profile's session token.",
        (_, "RegionDisabledException") =>
            "STS is not activated in this region: activate it in the account's IAM settings, or set sts_endpoint to the STS endpoint of a region where it is active.",
        (_, "InvalidClientTokenId" or "SignatureDoesNotMatch" or "IncompleteSignature") =>
            "Check the access key and secret key of the source profile, and the host's clock.",
        _ => "Check the role ARN, the role's trust policy and the STS endpoint.",
    };

    /// <summary>Removes the web identity token and the source credentials from a message STS wrote, and keeps it to one short line.</summary>
    private static string? Redact(string? message, string? token, ImmutableCredentials? source)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return null;
        }

        string redacted = message.ReplaceLineEndings(" ").Trim().TrimEnd('.');
        foreach (string? credential in new[] { token, source?.SecretKey, source?.Token })
        {
            if (!string.IsNullOrEmpty(credential))
            {
                redacted = redacted.Replace(credential, "[redacted]", StringComparison.Ordinal);
            }
        }

        return redacted.Length <= MaxServiceMessageLength ? redacted : string.Concat(redacted.AsSpan(0, MaxServiceMessageLength), "...");
    }
}
