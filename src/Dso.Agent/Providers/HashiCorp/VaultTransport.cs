using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dso.Agent.Configuration;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Providers.HashiCorp;

/// <summary>
/// Sends requests to one Vault server through the provider's <see cref="ProviderResilience"/>. Throttling (429),
/// server errors (5xx, which include a sealed Vault's 503) and network failures become transient
/// <see cref="ProviderException"/>s there, so they are retried; every other status is returned to the caller.
/// </summary>
internal sealed class VaultTransport : IDisposable
{
    public const string TokenHeader = "X-Vault-Token";
    public const string NamespaceHeader = "X-Vault-Namespace";

    private const int MaxResponseBytes = 16 * 1024 * 1024;

    /// <summary>The longest part of Vault's error text put into a message.</summary>
    private const int MaxErrorTextLength = 500;

    private static readonly MediaTypeHeaderValue JsonMediaType = new("application/json");

    private readonly HttpClient _client;
    private readonly string _baseAddress;
    private readonly string? _namespace;
    private readonly ProviderResilience _resilience;
    private volatile string[] _credentials = [];

    public VaultTransport(VaultProviderConfig config, ProviderResilience resilience, ILogger logger)
    {
        Provider = config.Name;
        _baseAddress = config.Address.AbsoluteUri.TrimEnd('/');
        _namespace = string.IsNullOrEmpty(config.Namespace) ? null : config.Namespace;
        _resilience = resilience;
        _client = new HttpClient(CreateHandler(config, logger), disposeHandler: true)
        {
            // ProviderResilience bounds each attempt; a second timeout here would only hide which one fired.
            Timeout = Timeout.InfiniteTimeSpan,

            // Far above any KV secret, so that a wrong address serving a large file cannot fill the agent's memory.
            MaxResponseContentBufferSize = MaxResponseBytes,
        };
    }

    public string Provider { get; }

    /// <summary>
    /// Sets the credentials that are cut out of any error text Vault returns, in case a server or a proxy
    /// echoes a header or a request body.
    /// </summary>
    public void SetCredentials(IEnumerable<string?> credentials) =>
        _credentials = credentials.OfType<string>().Where(value => value.Length > 0).Distinct(StringComparer.Ordinal).ToArray();

    /// <summary>Sends one request. <paramref name="apiPath"/> starts with /v1/ and is already escaped.</summary>
    /// <param name="query">The query string with its "?", or null.</param>
    /// <param name="token">The X-Vault-Token value, or null for a login call.</param>
    /// <param name="jsonBody">A JSON request body, or null; the caller clears it afterwards.</param>
    public Task<VaultResponse> SendAsync(HttpMethod method, string apiPath, string? query, string? token, byte[]? jsonBody, CancellationToken cancellationToken)
    {
        string operation = $"{method.Method} {apiPath}{query}";
        return _resilience.ExecuteAsync(
            operation,
            attemptToken => SendOnceAsync(method, apiPath + query, operation, token, jsonBody, attemptToken),
            cancellationToken);
    }

    /// <summary>
    /// Creates the error for a response: the provider, the call, the HTTP status, Vault's error text (with any
    /// credential removed), and <paramref name="advice"/>, which states what to do next.
    /// </summary>
    public ProviderException Failure(ProviderErrorKind kind, VaultResponse response, string advice) =>
        new(Provider, kind, $"Provider {Provider}: {Describe(response.Operation, response.StatusCode, response.ReadErrors())}. {advice}")
        {
            StatusCode = response.StatusCode,
        };

    public void Dispose() => _client.Dispose();

    private async ValueTask<VaultResponse> SendOnceAsync(HttpMethod method, string pathAndQuery, string operation, string? token, byte[]? jsonBody, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, _baseAddress + pathAndQuery);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (token is not null)
        {
            request.Headers.TryAddWithoutValidation(TokenHeader, token);
        }

        if (_namespace is not null)
        {
            request.Headers.TryAddWithoutValidation(NamespaceHeader, _namespace);
        }

        if (jsonBody is not null)
        {
            request.Content = new ByteArrayContent(jsonBody);
            request.Content.Headers.ContentType = JsonMediaType;
        }

        byte[] body;
        int status;
        try
        {
            using HttpResponseMessage response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
            status = (int)response.StatusCode;
            body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException error)
        {
            throw NetworkFailure(operation, error);
        }

        var result = new VaultResponse(operation, status, body);
        if (status == (int)HttpStatusCode.TooManyRequests)
        {
            using (result)
            {
                throw Failure(ProviderErrorKind.Throttled, result, "Vault is rate limiting dso; the call is retried with backoff. Raise the rate limit quota or the poll interval if this persists.");
            }
        }

        // 412 ("required index state not present") comes from a Vault Enterprise performance standby that has not
        // yet caught up, for example with a token just issued; it clears by itself.
        if (status >= 500 || status == (int)HttpStatusCode.PreconditionFailed)
        {
            using (result)
            {
                throw Failure(ProviderErrorKind.Unavailable, result, ServerErrorAdvice(result));
            }
        }

        return result;
    }

    private static string ServerErrorAdvice(VaultResponse response)
    {
        string errors = response.ReadErrors() ?? "";
        if (errors.Contains("sealed", StringComparison.OrdinalIgnoreCase))
        {
            return "Vault is sealed: unseal it (vault operator unseal); the call is retried with backoff.";
        }

        return "Vault or a proxy in front of it failed; the call is retried with backoff. Check the server's log and vault status.";
    }

    private string Describe(string operation, int status, string? errors)
    {
        string text = string.Create(CultureInfo.InvariantCulture, $"{operation} returned HTTP {status}");
        if (errors is null)
        {
            return text;
        }

        foreach (string credential in _credentials)
        {
            errors = errors.Replace(credential, "[redacted]", StringComparison.Ordinal);
        }

        if (errors.Length > MaxErrorTextLength)
        {
            errors = errors[..MaxErrorTextLength] + "...";
        }

        return $"{text} ({errors})";
    }

    private ProviderException NetworkFailure(string operation, HttpRequestException error)
    {
        string detail = NetworkErrors.Describe(error) + ".";
        string advice = NetworkErrors.IsTlsFailure(error)
            ? "Check that ca_file names the CA that signed the server's certificate and that the certificate is valid for the address."
            : "Check that address is right and that Vault is running and reachable from this host.";
        return new ProviderException(Provider, ProviderErrorKind.Unavailable, $"Provider {Provider}: {operation} failed: {detail} {advice}", error);
    }

    private static SocketsHttpHandler CreateHandler(VaultProviderConfig config, ILogger logger)
    {
        var handler = new SocketsHttpHandler
        {
            // Re-resolve the server's name now and then, so that a moved Vault is found without a restart.
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };

        if (config.TlsSkipVerify)
        {
            VaultLog.TlsVerificationDisabled(logger, config.Name, config.Address);
#pragma warning disable CA5359 // tls_skip_verify is the operator's explicit choice, and it is logged as a warning above.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
#pragma warning restore CA5359
        }
        else if (config.CaFile is { } caFile)
        {
            X509Certificate2Collection roots = LoadCaFile(config.Name, caFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) => IsTrustedByCa(certificate, chain, errors, roots);
        }

        return handler;
    }

    private static X509Certificate2Collection LoadCaFile(string provider, string caFile)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(caFile);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ProviderException(provider, ProviderErrorKind.Invalid, $"Provider {provider}: ca_file {caFile} could not be read: {error.Message} Point ca_file at a readable PEM file with the CA certificate.", error);
        }

        if (roots.Count == 0)
        {
            throw new ProviderException(provider, ProviderErrorKind.Invalid, $"Provider {provider}: ca_file {caFile} contains no PEM certificate (-----BEGIN CERTIFICATE-----). Point ca_file at the CA certificate of the Vault server.");
        }

        return roots;
    }

    /// <summary>Accepts the server's certificate only when it chains to one of <paramref name="roots"/> and names the host.</summary>
    private static bool IsTrustedByCa(X509Certificate? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch) || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);

        // A private CA seldom publishes revocation lists that this host can reach.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (X509ChainElement element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        using var leaf = new X509Certificate2(certificate);
        return chain.Build(leaf);
    }
}
