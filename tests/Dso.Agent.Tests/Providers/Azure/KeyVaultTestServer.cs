using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Tests.Providers.Azure;

/// <summary>
/// An HTTPS server on 127.0.0.1 that replaces Azure Key Vault (secrets data plane, REST API 7.x) and for
/// the Microsoft Entra ID token endpoint. It follows the documented wire format: the bearer challenge on a
/// request without a token, secret bundles and item lists with nextLink, and error bodies
/// {"error":{"code","message","innererror"}}. It counts value reads so that tests can prove polling reads none.
/// </summary>
/// <remarks>
/// Identifiers and nextLinks use the scheme and host of the request, as Key Vault uses the vault's own name, so a
/// client that reaches the server under a host name (through a proxy) stays on that name. Each change gets the
/// next second of a clock that starts in 2023, so no two changes share a second.
/// </remarks>
internal sealed class KeyVaultTestServer : IAsyncDisposable
{
    public const string TenantId = "11111111-2222-3333-4444-555555555555";
    public const string ClientId = "dso-test-client";
    public const string Resource = "https://vault.azure.net";

    private static readonly int[] InvalidClientErrorCodes = [7000215];

    // A grace period for clock skew, so that a token the client still holds as valid is never rejected by the server first.
    private static readonly TimeSpan TokenClockSkew = TimeSpan.FromMinutes(5);

    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, List<StoredVersion>> _secrets = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<int> _failures = new();
    private readonly ConcurrentDictionary<string, DateTimeOffset> _issuedTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StoredVersion> _frozenListEntries = new(StringComparer.OrdinalIgnoreCase);
    private long _clock = 1_700_000_000;
    private int _valueReads;
    private int _versionListReads;
    private int _secretListReads;
    private int _tokenRequests;
    private int _requests;

    private KeyVaultTestServer(WebApplication app, string caPemPath)
    {
        _app = app;
        CaPemPath = caPemPath;
    }

    /// <summary>The https://127.0.0.1:port URL, without a trailing slash.</summary>
    public string BaseUrl { get; private set; } = "";

    /// <summary>A PEM file with the server's self-signed certificate, for ca_file.</summary>
    public string CaPemPath { get; }

    /// <summary>The client secret the token endpoint accepts; tests change it to simulate a rotated or expired secret.</summary>
    public string AcceptedClientSecret { get; set; } = "client-secret-Zq8!correct";

    /// <summary>
    /// Items per page of a list when the request sets no smaller maxresults: 2 by default, so that tests cross a
    /// nextLink. Key Vault itself returns up to 25.
    /// </summary>
    public int PageSize { get; set; } = 2;

    /// <summary>How long the server waits before it handles each Key Vault request.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>
    /// The resource that the bearer challenge names. The Key Vault client accepts it only when the vault's host
    /// ends with "." and the resource's host, so a test that reaches the server as kv.vault.test sets https://vault.test.
    /// </summary>
    public string ChallengeResource { get; set; } = Resource;

    /// <summary>The expires_in of issued tokens. The server rejects a token 5 minutes after it expires.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromSeconds(3599);

    /// <summary>While set, every Key Vault request (not the token endpoint) fails with this HTTP status.</summary>
    public int? OutageStatus { get; set; }

    public int ValueReads => Volatile.Read(ref _valueReads);

    public int VersionListReads => Volatile.Read(ref _versionListReads);

    /// <summary>Pages of GET /secrets served, the list of the whole vault.</summary>
    public int SecretListReads => Volatile.Read(ref _secretListReads);

    public int TokenRequests => Volatile.Read(ref _tokenRequests);

    /// <summary>Every request that reached the server, to Key Vault and to the token endpoint.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>Every access token issued, so that tests can check that none reaches a message or log.</summary>
    public IReadOnlyCollection<string> IssuedTokens => _issuedTokens.Keys.ToArray();

    /// <summary>Paths of requests the server does not implement, such as an unexpected discovery call.</summary>
    public ConcurrentQueue<string> UnknownRequests { get; } = new();

    /// <param name="hostName">A DNS name the certificate also holds, for clients that reach the server under it.</param>
    public static async Task<KeyVaultTestServer> StartAsync(string directory, string? hostName = null)
    {
        using X509Certificate2 certificate = CreateCertificate(hostName);
        string caPemPath = Path.Combine(directory, "kv-ca.pem");
        await File.WriteAllTextAsync(caPemPath, certificate.ExportCertificatePem());
        X509Certificate2 serving = X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);

        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(options => options.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(serving)));
        WebApplication app = builder.Build();
        var server = new KeyVaultTestServer(app, caPemPath);
        app.Run(server.HandleAsync);
        await app.StartAsync();
        server.BaseUrl = app.Urls.Single().TrimEnd('/');
        return server;
    }

    /// <summary>Adds a new current version and returns its id.</summary>
    /// <param name="listed">
    /// False keeps the secret's entry in GET /secrets as it was before this version. It stands for a vault whose
    /// list does not follow new versions, because the Key Vault documentation does not promise that it does.
    /// True makes the entry follow again.
    /// </param>
    /// <param name="contentType">The version's contentType, such as text/plain; none when null.</param>
    public string SetSecret(string keyVaultName, string value, bool enabled = true, bool listed = true, string? contentType = null)
    {
        string version = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        long created = Interlocked.Increment(ref _clock);
        List<StoredVersion> versions = _secrets.GetOrAdd(keyVaultName, _ => []);
        lock (versions)
        {
            if (!listed && versions.Count > 0)
            {
                _frozenListEntries.TryAdd(keyVaultName, Current(versions));
            }
            else if (listed)
            {
                _frozenListEntries.TryRemove(keyVaultName, out _);
            }

            versions.Add(new StoredVersion(version, value, enabled, created) { ContentType = contentType });
        }

        return version;
    }

    /// <summary>Makes the next change carry the time <paramref name="next"/>, in whole seconds, and later changes the seconds after it.</summary>
    public void SetClock(DateTimeOffset next) => Interlocked.Exchange(ref _clock, next.ToUnixTimeSeconds() - 1);

    /// <summary>Makes every issued token invalid, so that the next Key Vault request needs a new one.</summary>
    public void RevokeTokens() => _issuedTokens.Clear();

    public void SetEnabled(string keyVaultName, string version, bool enabled)
    {
        List<StoredVersion> versions = _secrets[keyVaultName];
        lock (versions)
        {
            int index = versions.FindIndex(stored => stored.Version == version);
            versions[index] = versions[index] with { Enabled = enabled, Updated = Interlocked.Increment(ref _clock) };
        }
    }

    /// <summary>Deletes the secret as a soft-delete vault does: every later GET returns 404 SecretNotFound.</summary>
    public void DeleteSecret(string keyVaultName) => _secrets.TryRemove(keyVaultName, out _);

    /// <summary>Fails the next <paramref name="count"/> Key Vault requests with HTTP <paramref name="status"/>.</summary>
    public void FailNext(int status, int count)
    {
        for (int i = 0; i < count; i++)
        {
            _failures.Enqueue(status);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static X509Certificate2 CreateCertificate(string? hostName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=dso Key Vault test server", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        if (hostName is not null)
        {
            names.AddDnsName(hostName);
        }
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyCertSign, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        DateTimeOffset now = DateTimeOffset.UtcNow;
        return request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
    }

    private async Task HandleAsync(HttpContext context)
    {
        Interlocked.Increment(ref _requests);
        string path = context.Request.Path.Value ?? "";
        if (HttpMethods.IsPost(context.Request.Method) && path == $"/{TenantId}/oauth2/v2.0/token")
        {
            await IssueTokenAsync(context);
            return;
        }

        if (!path.StartsWith("/secrets", StringComparison.Ordinal))
        {
            UnknownRequests.Enqueue($"{context.Request.Method} {path}{context.Request.QueryString}");
            await WriteErrorAsync(context, 404, "NotFound", "No such endpoint on the test server.");
            return;
        }

        string? authorization = context.Request.Headers.Authorization;
        if (authorization is null
            || !authorization.StartsWith("Bearer ", StringComparison.Ordinal)
            || !_issuedTokens.TryGetValue(authorization["Bearer ".Length..], out DateTimeOffset expiresOn)
            || expiresOn + TokenClockSkew <= DateTimeOffset.UtcNow)
        {
            context.Response.Headers.WWWAuthenticate = $"Bearer authorization=\"{BaseUrl}/{TenantId}\", resource=\"{ChallengeResource}\"";
            await WriteErrorAsync(context, 401, "Unauthorized", "The request carries no valid bearer token.");
            return;
        }

        if (string.IsNullOrEmpty(context.Request.Query["api-version"]))
        {
            await WriteErrorAsync(context, 400, "BadParameter", "The request URI must contain api-version.");
            return;
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, context.RequestAborted);
        }

        if (OutageStatus is { } outage)
        {
            await WriteErrorAsync(context, outage, outage == 503 ? "ServiceUnavailable" : "InternalServerError", "Injected outage.");
            return;
        }

        if (_failures.TryDequeue(out int status))
        {
            string code = status switch
            {
                403 => "Forbidden",
                429 => "Throttled",
                _ => "ServiceUnavailable",
            };
            await WriteErrorAsync(context, status, code, "Injected failure.");
            return;
        }

        string[] segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (segments.Length)
        {
            case 1:
                await ListSecretsAsync(context);
                break;
            case 2:
                await GetSecretAsync(context, segments[1], version: null);
                break;
            case 3 when segments[2] == "versions":
                await ListVersionsAsync(context, segments[1]);
                break;
            case 3:
                await GetSecretAsync(context, segments[1], segments[2]);
                break;
            default:
                UnknownRequests.Enqueue($"{context.Request.Method} {path}");
                await WriteErrorAsync(context, 404, "NotFound", "No such endpoint on the test server.");
                break;
        }
    }

    private async Task IssueTokenAsync(HttpContext context)
    {
        Interlocked.Increment(ref _tokenRequests);
        IFormCollection form = await context.Request.ReadFormAsync();
        if (form["grant_type"] != "client_credentials" || form["client_id"] != ClientId || form["client_secret"] != AcceptedClientSecret)
        {
            context.Response.StatusCode = 401;
            await context.Response.WriteAsJsonAsync(new Dictionary<string, object>
            {
                ["error"] = "invalid_client",
                ["error_description"] = "AADSTS7000215: Invalid client secret provided.",
                ["error_codes"] = InvalidClientErrorCodes,
            });
            return;
        }

        string token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        int lifetime = (int)TokenLifetime.TotalSeconds;
        _issuedTokens[token] = DateTimeOffset.UtcNow + TokenLifetime;
        await context.Response.WriteAsJsonAsync(new Dictionary<string, object>
        {
            ["token_type"] = "Bearer",
            ["expires_in"] = lifetime,
            ["ext_expires_in"] = lifetime,
            ["access_token"] = token,
        });
    }

    private async Task GetSecretAsync(HttpContext context, string name, string? version)
    {
        StoredVersion? stored = null;
        if (_secrets.TryGetValue(name, out List<StoredVersion>? versions))
        {
            lock (versions)
            {
                stored = version is null
                    ? Current(versions)
                    : versions.Find(candidate => candidate.Version == version);
            }
        }

        if (stored is null)
        {
            string subject = version is null ? name : $"{name} with version {version}";
            await WriteErrorAsync(context, 404, "SecretNotFound", $"The test vault has no secret {subject}.");
            return;
        }

        if (!stored.Enabled)
        {
            await WriteErrorAsync(context, 403, "Forbidden", "The secret is disabled, so its value cannot be read.", innerCode: "SecretDisabled");
            return;
        }

        Interlocked.Increment(ref _valueReads);
        var bundle = Item(VaultBase(context), name, stored);
        bundle["value"] = stored.Value;
        await context.Response.WriteAsJsonAsync(bundle);
    }

    private async Task ListVersionsAsync(HttpContext context, string name)
    {
        Interlocked.Increment(ref _versionListReads);
        if (!_secrets.TryGetValue(name, out List<StoredVersion>? versions))
        {
            await WriteErrorAsync(context, 404, "SecretNotFound", $"The test vault has no secret {name}.");
            return;
        }

        List<StoredVersion> sorted;
        lock (versions)
        {
            // Key Vault lists versions in no particular order, so the server sorts them by version id.
            sorted = versions.OrderBy(stored => stored.Version, StringComparer.Ordinal).ToList();
        }

        await WritePageAsync(context, $"/secrets/{name}/versions", sorted, stored => Item(VaultBase(context), name, stored));
    }

    /// <summary>
    /// Lists the whole vault as Key Vault's Get Secrets does: each item has the secret's base id (no version),
    /// the attributes of its current version, and its tags and content type when they are set.
    /// </summary>
    private async Task ListSecretsAsync(HttpContext context)
    {
        Interlocked.Increment(ref _secretListReads);
        string vault = VaultBase(context);
        List<KeyValuePair<string, List<StoredVersion>>> sorted = _secrets.OrderBy(entry => entry.Key, StringComparer.Ordinal).ToList();
        await WritePageAsync(context, "/secrets", sorted, entry =>
        {
            lock (entry.Value)
            {
                StoredVersion current = _frozenListEntries.TryGetValue(entry.Key, out StoredVersion? frozen)
                    ? frozen
                    : Current(entry.Value);
                Dictionary<string, object?> item = Item(vault, entry.Key, current);
                item["id"] = $"{vault}/secrets/{entry.Key}";
                return item;
            }
        });
    }

    /// <summary>The vault's base URL as the client addressed it, such as https://kv.vault.test:5001.</summary>
    private static string VaultBase(HttpContext context) => $"{context.Request.Scheme}://{context.Request.Host}";

    /// <summary>Writes one page of a list and builds the items of that page only, not those of the whole vault.</summary>
    private async Task WritePageAsync<T>(HttpContext context, string path, List<T> entries, Func<T, Dictionary<string, object?>> toItem)
    {
        int skip = int.TryParse(context.Request.Query["$skiptoken"], CultureInfo.InvariantCulture, out int token) ? token : 0;
        int size = PageSize;
        if (!string.IsNullOrEmpty(context.Request.Query["maxresults"]))
        {
            // Key Vault accepts maxresults from 1 to 25.
            if (!int.TryParse(context.Request.Query["maxresults"], CultureInfo.InvariantCulture, out int requested) || requested is < 1 or > 25)
            {
                await WriteErrorAsync(context, 400, "BadParameter", "maxresults must be an integer from 1 to 25.");
                return;
            }

            size = Math.Min(requested, PageSize);
        }

        string? nextLink = skip + size < entries.Count
            ? $"{VaultBase(context)}{path}?api-version={context.Request.Query["api-version"]}&$skiptoken={skip + size}&maxresults={size}"
            : null;
        List<Dictionary<string, object?>> items = entries.Skip(skip).Take(size).Select(toItem).ToList();
        await context.Response.WriteAsJsonAsync(new Dictionary<string, object?> { ["value"] = items, ["nextLink"] = nextLink });
    }

    private static Dictionary<string, object?> Item(string vault, string name, StoredVersion stored)
    {
        Dictionary<string, object?> item = new()
        {
            ["id"] = $"{vault}/secrets/{name}/{stored.Version}",
            ["attributes"] = new Dictionary<string, object>
            {
                ["enabled"] = stored.Enabled,
                ["created"] = stored.Created,
                ["updated"] = stored.Updated ?? stored.Created,
                ["recoveryLevel"] = "Recoverable+Purgeable",
                ["recoverableDays"] = 90,
            },
            ["tags"] = new Dictionary<string, string>(),
        };
        if (stored.ContentType is not null)
        {
            item["contentType"] = stored.ContentType;
        }

        return item;
    }

    private static async Task WriteErrorAsync(HttpContext context, int status, string code, string message, string? innerCode = null)
    {
        context.Response.StatusCode = status;
        var error = new Dictionary<string, object> { ["code"] = code, ["message"] = message };
        if (innerCode is not null)
        {
            error["innererror"] = new Dictionary<string, string> { ["code"] = innerCode };
        }

        await context.Response.WriteAsJsonAsync(new Dictionary<string, object> { ["error"] = error });
    }

    /// <summary>
    /// Returns the current version, which is the one set last. Versions set in the same second carry the same
    /// created time, so the order in which they were added decides.
    /// </summary>
    private static StoredVersion Current(List<StoredVersion> versions) => versions.OrderBy(stored => stored.Created).Last();

    private sealed record StoredVersion(string Version, string Value, bool Enabled, long Created)
    {
        public long? Updated { get; init; }

        public string? ContentType { get; init; }
    }
}
