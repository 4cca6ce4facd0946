using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Amazon.Runtime;

namespace Dso.Agent.Providers.Aws;

/// <summary>
/// Sends Secrets Manager JSON-protocol calls: POST to the endpoint with X-Amz-Target secretsmanager.Operation,
/// signed with SigV4, each attempt through the provider's <see cref="ProviderResilience"/>. A failed call
/// becomes a <see cref="ProviderException"/> that names the provider, the operation, the secret and the HTTP
/// status, with any credential removed from the service's message.
/// </summary>
internal sealed class SecretsManagerClient : IDisposable
{
    // Longer service messages are cut, since the start says enough to act on.
    private const int MaxServiceMessageLength = 300;

    private readonly string _provider;
    private readonly string _region;
    private readonly string _host;
    private readonly HttpClient _http;
    private readonly ProviderResilience _resilience;
    private readonly TimeProvider _time;
    private readonly Func<AWSCredentials> _resolveCredentials;
    private readonly Action<AWSCredentials> _onCredentialsResolved;
    private readonly Lock _credentialsLock = new();
    private AWSCredentials? _credentials;
    private ImmutableCredentials? _lastUsedCredentials;

    public SecretsManagerClient(
        string provider,
        string region,
        Uri endpoint,
        Func<AWSCredentials> resolveCredentials,
        ProviderResilience resilience,
        TimeProvider time,
        HttpMessageHandler? handler,
        Action<AWSCredentials> onCredentialsResolved)
    {
        _provider = provider;
        _region = region;
        Endpoint = endpoint;
        _host = endpoint.IsDefaultPort ? endpoint.Host : $"{endpoint.Host}:{endpoint.Port}";
        _resolveCredentials = resolveCredentials;
        _resilience = resilience;
        _time = time;
        _onCredentialsResolved = onCredentialsResolved;

        // The resilience pipeline bounds each attempt, so the client itself never times out.
        _http = handler is null
            ? new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
            : new HttpClient(handler, disposeHandler: false);
        _http.Timeout = Timeout.InfiniteTimeSpan;
    }

    public Uri Endpoint { get; }

    /// <summary>
    /// Sends one operation and returns the response body of a 2xx response. The caller owns the returned array
    /// and clears it once read, since a GetSecretValue or BatchGetSecretValue body holds secret values.
    /// </summary>
    /// <param name="subject">What the call is about, for messages: "secret db/password" or "20 secrets ...".</param>
    public Task<byte[]> SendAsync(string operation, string subject, byte[] body, CancellationToken cancellationToken) =>
        _resilience.ExecuteAsync(
            $"{operation} for {subject}",
            attemptToken => SendOnceAsync(operation, subject, body, attemptToken),
            cancellationToken);

    public void Dispose() => _http.Dispose();

    private async ValueTask<byte[]> SendOnceAsync(string operation, string subject, byte[] body, CancellationToken cancellationToken)
    {
        ImmutableCredentials credentials = await GetCredentialsAsync(operation, subject, cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _lastUsedCredentials, credentials);
        string target = $"{AwsRequestSigner.Service}.{operation}";

        using var request = new HttpRequestMessage(HttpMethod.Post, Endpoint);
        request.Headers.Host = _host;
        request.Headers.TryAddWithoutValidation("X-Amz-Target", target);
        request.Content = new ByteArrayContent(body);
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(AwsRequestSigner.ContentType);
        AwsRequestSigner.Sign(request, body, _host, target, _region, credentials, _time.GetUtcNow().UtcDateTime);

        HttpResponseMessage response;
        byte[] content;
        try
        {
            response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException error)
        {
            throw Unreachable(operation, subject, error);
        }

        using (response)
        {
            try
            {
                content = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception error) when (error is HttpRequestException or IOException)
            {
                throw Unreachable(operation, subject, error);
            }

            if (response.IsSuccessStatusCode)
            {
                return content;
            }

            ProviderException failure = Failure(operation, subject, response, content, credentials);
            CryptographicOperations.ZeroMemory(content);
            if (failure.Kind == ProviderErrorKind.Unauthenticated)
            {
                // Resolve again on the next call, so that keys replaced in a profile file or a role's new session are picked up.
                ForgetCredentials();
            }

            throw failure;
        }
    }

    /// <exception cref="ProviderException">No credentials were found, or STS did not issue a role's credentials.</exception>
    private async ValueTask<ImmutableCredentials> GetCredentialsAsync(string operation, string subject, CancellationToken cancellationToken)
    {
        try
        {
            AWSCredentials source = ResolveCredentialsOnce();
            return source is AssumedRoleCredentials role
                ? await role.GetCredentialsAsync(cancellationToken).ConfigureAwait(false)
                : await source.GetCredentialsAsync().ConfigureAwait(false);
        }
        catch (Exception error) when (error is AmazonClientException or AmazonServiceException)
        {
            // Resolve again on the next call, because the operator may have fixed the environment or the profile by then.
            ForgetCredentials();
            throw new ProviderException(
                _provider,
                ProviderErrorKind.Unauthenticated,
                $"Provider {_provider}: {operation} for {subject} was not sent: no AWS credentials could be resolved ({error.Message.ReplaceLineEndings(" ").Trim()}). "
                + $"Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in the agent's environment (/etc/dso/agent.env), "
                + $"name a profile with providers.{_provider}.profile, or give the host an instance or task role.",
                error);
        }
    }

    private AWSCredentials ResolveCredentialsOnce()
    {
        lock (_credentialsLock)
        {
            if (_credentials is null)
            {
                _credentials = _resolveCredentials();
                _onCredentialsResolved(_credentials);
            }

            return _credentials;
        }
    }

    private void ForgetCredentials()
    {
        lock (_credentialsLock)
        {
            _credentials = null;
        }
    }

    private ProviderException Unreachable(string operation, string subject, Exception error) =>
        new(
            _provider,
            ProviderErrorKind.Unavailable,
            $"Provider {_provider}: {operation} for {subject} could not reach {Endpoint}: {NetworkErrors.Describe(error)}. "
            + (NetworkErrors.IsTlsFailure(error)
                ? $"Check that the certificate of {Endpoint} is valid for its name and signed by a CA in the system's trust store."
                : SecretsManagerErrors.Advice(ProviderErrorKind.Unavailable, operation, null, Endpoint)),
            error);

    private ProviderException Failure(
        string operation, string subject, HttpResponseMessage response, byte[] content, ImmutableCredentials credentials)
    {
        ErrorResponse? body = null;
        try
        {
            body = JsonSerializer.Deserialize(content, SecretsManagerJsonContext.Default.ErrorResponse);
        }
        catch (JsonException)
        {
            // Not a JSON error body (a proxy's page, for example), so the status and the header decide.
        }

        string? type = body?.Type;
        if (type is null && response.Headers.TryGetValues("x-amzn-ErrorType", out IEnumerable<string>? headerValues))
        {
            type = headerValues.FirstOrDefault();
        }

        string? code = SecretsManagerErrors.ShortCode(type);
        string? serviceMessage = Redact(body?.Message ?? body?.MessageCapitalized, credentials);
        int status = (int)response.StatusCode;
        ProviderErrorKind kind = SecretsManagerErrors.Classify(status, code, serviceMessage);

        string reason = response.StatusCode == HttpStatusCode.TooManyRequests ? "Too Many Requests" : response.ReasonPhrase ?? "";
        string detail = code is null ? "" : $" {code}";
        string quoted = serviceMessage is null ? "" : $": {serviceMessage}";
        return new ProviderException(
            _provider,
            kind,
            $"Provider {_provider}: {operation} for {subject} failed with HTTP {status} {reason}{detail}{quoted}. "
            + SecretsManagerErrors.Advice(kind, operation, code, Endpoint))
        {
            StatusCode = status,
        };
    }

    /// <summary>Removes the credentials of the last call from a message the service wrote, and keeps it to one short line.</summary>
    public string? RedactServiceMessage(string? message) => Redact(message, Volatile.Read(ref _lastUsedCredentials));

    /// <summary>Removes the caller's credentials from a message the service wrote, and keeps it to one short line.</summary>
    internal static string? Redact(string? message, ImmutableCredentials? credentials)
    {
        if (string.IsNullOrWhiteSpace(message))
        {
            return null;
        }

        string redacted = message.ReplaceLineEndings(" ").Trim().TrimEnd('.');
        foreach (string? credential in new[] { credentials?.SecretKey, credentials?.Token, credentials?.AccessKey })
        {
            if (!string.IsNullOrEmpty(credential))
            {
                redacted = redacted.Replace(credential, "[redacted]", StringComparison.Ordinal);
            }
        }

        return redacted.Length <= MaxServiceMessageLength ? redacted : string.Concat(redacted.AsSpan(0, MaxServiceMessageLength), "...");
    }
}
