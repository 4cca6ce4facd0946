using System.Globalization;
using System.Text.Json;
using Dso.Agent.Configuration;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Providers.HashiCorp;

/// <summary>
/// A HashiCorp Vault (or OpenBao) KV secrets engine, read over Vault's HTTP API. With KV version 2 a version id
/// is the version number (current_version of the metadata); version 1 keeps no versions, so its version id is
/// the <see cref="KvFingerprint"/> of the data. A value is the UTF-8 JSON object of the secret's keys.
/// </summary>
internal sealed class VaultProvider : ISecretProvider
{
    private const string MountsPath = "/v1/sys/internal/ui/mounts/";

    private readonly VaultProviderConfig _config;
    private readonly TimeProvider _time;
    private readonly byte[]? _fingerprintKey;
    private readonly ILogger _logger;
    private readonly ProviderResilience _resilience;
    private readonly VaultTransport _transport;
    private readonly VaultAuthenticator _authenticator;
    private readonly SemaphoreSlim _mountGate = new(1, 1);
    private readonly string _mountPath;
    private readonly Lock _healthLock = new();
    private ProviderHealth _health;
    private int _kvVersion;

    public VaultProvider(VaultProviderConfig config, ProviderContext context)
        : this(config, context, ProviderResilienceOptions.Default)
    {
    }

    /// <param name="resilience">The retry and timeout policy; its <see cref="ProviderResilienceOptions.AttemptTimeout"/> bounds each HTTP call.</param>
    public VaultProvider(VaultProviderConfig config, ProviderContext context, ProviderResilienceOptions resilience)
    {
        Name = config.Name;
        _config = config;
        _time = context.Time;
        _fingerprintKey = context.FingerprintKey;
        _logger = context.LoggerFactory.CreateLogger("Dso.Agent.Providers.HashiCorp.VaultProvider");
        _resilience = new ProviderResilience(config.Name, resilience, context.Time, _logger);
        _transport = new VaultTransport(config, _resilience, _logger);
        _authenticator = new VaultAuthenticator(config.Name, config.Auth, _transport, context.Time, _logger);
        _mountPath = EscapePath(config.Mount);
        _kvVersion = config.KvVersion ?? 0;
        _health = ProviderHealth.Healthy(context.Time.GetUtcNow());
    }

    public string Name { get; }

    public ProviderHealth Health
    {
        get
        {
            string? reason = _authenticator.Failure?.Message
                ?? (_resilience.IsCircuitOpen ? $"Provider {Name}: calls to {_config.Address} are paused after repeated failures; see the log for the errors." : null);
            lock (_healthLock)
            {
                if (reason is null && !_health.IsHealthy)
                {
                    _health = ProviderHealth.Healthy(_time.GetUtcNow());
                }
                else if (reason is not null && (_health.IsHealthy || _health.Reason != reason))
                {
                    _health = ProviderHealth.Unhealthy(reason, _time.GetUtcNow());
                }

                return _health;
            }
        }
    }

    public async Task<IReadOnlyDictionary<string, VersionLookup>> GetCurrentVersionsAsync(IReadOnlyCollection<string> paths, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, VersionLookup>(StringComparer.Ordinal);
        int kvVersion;
        try
        {
            kvVersion = await KvVersionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ProviderException error)
        {
            foreach (string path in paths)
            {
                result[path] = VersionLookup.Failed(error);
            }

            return result;
        }

        // ProviderResilience limits how many of these run at once.
        string[] distinct = paths.Distinct(StringComparer.Ordinal).ToArray();
        VersionLookup[] lookups = await Task.WhenAll(distinct.Select(path => LookupAsync(path, kvVersion, cancellationToken))).ConfigureAwait(false);
        for (int index = 0; index < distinct.Length; index++)
        {
            result[distinct[index]] = lookups[index];
        }

        return result;
    }

    public async Task<SecretPayload> FetchAsync(string path, string? versionId, CancellationToken cancellationToken)
    {
        string secretPath = EscapeSecretPath(path);
        int kvVersion = await KvVersionAsync(cancellationToken).ConfigureAwait(false);
        if (kvVersion == 1)
        {
            return await ReadKv1Async(path, secretPath, versionId, cancellationToken).ConfigureAwait(false);
        }

        int? version = null;
        if (versionId is not null)
        {
            version = int.TryParse(versionId, NumberStyles.None, CultureInfo.InvariantCulture, out int number) && number > 0
                ? number
                : throw new ProviderException(Name, ProviderErrorKind.NotFound, $"Provider {Name}: \"{versionId}\" is not a version of {path}; KV version 2 versions are numbers from 1.");
        }

        string query = version is { } value ? string.Create(CultureInfo.InvariantCulture, $"?version={value}") : "";
        using VaultResponse response = await SendAsync(HttpMethod.Get, $"/v1/{_mountPath}/data/{secretPath}", query, cancellationToken).ConfigureAwait(false);
        KvVersionMetadata? metadata = ReadVersionMetadata(response);
        if (metadata is not null && IsDeleted(metadata))
        {
            throw Deleted(response, path, metadata);
        }

        if (!response.IsSuccess)
        {
            throw Failure(response, path, version is null ? $"no secret {path} under mount {_config.Mount}" : $"no version {version} of {path} under mount {_config.Mount}");
        }

        Range? data = LocateData(response, "data", "data");
        if (data is null || metadata is null)
        {
            throw Malformed(response, "has no data.data object or data.metadata.version");
        }

        return new SecretPayload(metadata.Version.ToString(CultureInfo.InvariantCulture), response.Body[data.Value], isText: true);
    }

    public async Task CheckConnectionAsync(CancellationToken cancellationToken)
    {
        string token = await _authenticator.GetTokenAsync(cancellationToken).ConfigureAwait(false);
        if (await _authenticator.VerifyTokenAsync(token, _authenticator.BeginRequest(), cancellationToken).ConfigureAwait(false))
        {
            // AppRole logged in again, which proves the credentials; one more lookup proves the new token.
            token = await _authenticator.GetTokenAsync(cancellationToken).ConfigureAwait(false);
            _ = await _authenticator.VerifyTokenAsync(token, _authenticator.BeginRequest(), cancellationToken).ConfigureAwait(false);
        }
    }

    public ValueTask DisposeAsync()
    {
        _authenticator.Dispose();
        _transport.Dispose();
        _mountGate.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<VersionLookup> LookupAsync(string path, int kvVersion, CancellationToken cancellationToken)
    {
        try
        {
            string secretPath = EscapeSecretPath(path);
            if (kvVersion == 1)
            {
                using SecretPayload payload = await ReadKv1Async(path, secretPath, null, cancellationToken).ConfigureAwait(false);
                return VersionLookup.Found(payload.VersionId);
            }

            using VaultResponse response = await SendAsync(HttpMethod.Get, $"/v1/{_mountPath}/metadata/{secretPath}", null, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccess)
            {
                throw Failure(response, path, $"no secret {path} under mount {_config.Mount}");
            }

            KvSecretMetadata metadata = response.ReadJson(VaultJsonContext.Default.KvMetadataBody)?.Data
                ?? throw Malformed(response, "has no data object");
            if (metadata.CurrentVersion <= 0)
            {
                throw Failure(ProviderErrorKind.NotFound, response, $"{path} has no version yet. Write one with vault kv put -mount={_config.Mount} {path} ...");
            }

            string versionId = metadata.CurrentVersion.ToString(CultureInfo.InvariantCulture);
            if (metadata.Versions?.GetValueOrDefault(versionId) is { } current && IsDeleted(current))
            {
                current.Version = metadata.CurrentVersion;
                throw Deleted(response, path, current);
            }

            return VersionLookup.Found(versionId);
        }
        catch (ProviderException error)
        {
            return VersionLookup.Failed(error);
        }
    }

    private async Task<SecretPayload> ReadKv1Async(string path, string secretPath, string? versionId, CancellationToken cancellationToken)
    {
        using VaultResponse response = await SendAsync(HttpMethod.Get, $"/v1/{_mountPath}/{secretPath}", null, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            throw Failure(response, path, $"no secret {path} under mount {_config.Mount}");
        }

        Range data = LocateData(response, "data") ?? throw Malformed(response, "has no data object");
        string fingerprint = KvFingerprint.Compute(response.Body.AsMemory(data), _fingerprintKey);
        if (versionId is not null && !string.Equals(versionId, fingerprint, StringComparison.Ordinal))
        {
            throw new ProviderException(
                Name,
                ProviderErrorKind.NotFound,
                $"Provider {Name}: {path} under mount {_config.Mount} no longer has version {versionId} (now {fingerprint}); a KV version 1 mount keeps only the current value.");
        }

        return new SecretPayload(fingerprint, response.Body[data], isText: true);
    }

    /// <summary>
    /// Sends a call with the current token. A 403 is checked once with lookup-self: a bad token turns into an
    /// Unauthenticated error (or, for AppRole, a new login and one more try), a valid one leaves the 403 to the caller.
    /// </summary>
    private async Task<VaultResponse> SendAsync(HttpMethod method, string apiPath, string? query, CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            string token = await _authenticator.GetTokenAsync(cancellationToken).ConfigureAwait(false);
            long request = _authenticator.BeginRequest();
            VaultResponse response = await _transport.SendAsync(method, apiPath, query, token, null, cancellationToken).ConfigureAwait(false);
            if (response.StatusCode is not (401 or 403) || attempt > 1)
            {
                return response;
            }

            bool retry;
            try
            {
                retry = await _authenticator.VerifyTokenAsync(token, request, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                response.Dispose();
                throw;
            }

            if (!retry)
            {
                return response;
            }

            response.Dispose();
        }
    }

    private async Task<int> KvVersionAsync(CancellationToken cancellationToken)
    {
        int known = Volatile.Read(ref _kvVersion);
        if (known != 0)
        {
            return known;
        }

        await _mountGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_kvVersion == 0)
            {
                int detected = await DetectKvVersionAsync(cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _kvVersion, detected);
            }

            return _kvVersion;
        }
        finally
        {
            _mountGate.Release();
        }
    }

    /// <summary>
    /// Reads the mount's options. When the token may not read them, version 2 is assumed with a warning. A network
    /// failure or a rejected token is thrown and nothing is cached, so the next call queries the mount again.
    /// </summary>
    private async Task<int> DetectKvVersionAsync(CancellationToken cancellationToken)
    {
        using VaultResponse response = await SendAsync(HttpMethod.Get, MountsPath + _mountPath, null, cancellationToken).ConfigureAwait(false);
        VaultMountData? mount = response.IsSuccess ? response.ReadJson(VaultJsonContext.Default.VaultMountBody)?.Data : null;
        if (mount is null)
        {
            string reason = _transport.Failure(ProviderErrorKind.Invalid, response, "").Message.TrimEnd();
            VaultLog.KvVersionUnknown(_logger, Name, _config.Mount, reason);
            return 2;
        }

        if (mount.Type is not ("kv" or "generic"))
        {
            throw new ProviderException(
                Name,
                ProviderErrorKind.Invalid,
                $"Provider {Name}: {response.Operation} shows that mount {_config.Mount} is a {mount.Type ?? "unknown"} engine, not a KV secrets engine. Set mount to the path of a KV engine.");
        }

        int version = mount.Options?.Version == "2" ? 2 : 1;
        VaultLog.KvVersionDetected(_logger, Name, _config.Mount, version);
        return version;
    }

    private static KvVersionMetadata? ReadVersionMetadata(VaultResponse response) =>
        response.StatusCode is 200 or 404 ? response.ReadJson(VaultJsonContext.Default.KvDataBody)?.Data?.Metadata : null;

    private static bool IsDeleted(KvVersionMetadata metadata) => metadata.Destroyed || !string.IsNullOrEmpty(metadata.DeletionTime);

    private Range? LocateData(VaultResponse response, params ReadOnlySpan<string> path)
    {
        try
        {
            return JsonObjectLocator.Find(response.Body, path);
        }
        catch (JsonException error)
        {
            throw new ProviderException(Name, ProviderErrorKind.Invalid, $"Provider {Name}: {response.Operation} returned HTTP {response.StatusCode} with a body dso cannot read: {error.Message} The secret's data must be a JSON object.", error)
            {
                StatusCode = response.StatusCode,
            };
        }
    }

    private ProviderException Deleted(VaultResponse response, string path, KvVersionMetadata metadata)
    {
        string advice = metadata.Destroyed
            ? $"Version {metadata.Version} of {path} was destroyed and cannot be recovered. Write a new version with vault kv put -mount={_config.Mount} {path} ..."
            : $"Version {metadata.Version} of {path} was deleted at {metadata.DeletionTime}. Restore it with vault kv undelete -mount={_config.Mount} -versions={metadata.Version} {path}, or write a new version.";
        return Failure(ProviderErrorKind.Deleted, response, advice);
    }

    /// <summary>Maps a non-success status of a secret read to its error kind.</summary>
    private ProviderException Failure(VaultResponse response, string path, string notFound) => response.StatusCode switch
    {
        404 => Failure(ProviderErrorKind.NotFound, response, $"Vault has {notFound}. Check secrets.<name>.path and mount."),
        401 or 403 => Failure(ProviderErrorKind.AccessDenied, response, $"The token is valid but its policies do not allow this call. Grant read on {_config.Mount}/data/{path} and {_config.Mount}/metadata/{path} (KV version 2) or {_config.Mount}/{path} (version 1)."),
        _ => Failure(ProviderErrorKind.Invalid, response, "Vault rejected the request; check mount and kv_version."),
    };

    private ProviderException Failure(ProviderErrorKind kind, VaultResponse response, string advice) => _transport.Failure(kind, response, advice);

    private ProviderException Malformed(VaultResponse response, string problem) =>
        new(Name, ProviderErrorKind.Invalid, $"Provider {Name}: {response.Operation} returned HTTP {response.StatusCode} with a body that {problem}. Check kv_version and that address points at a Vault server.")
        {
            StatusCode = response.StatusCode,
        };


    private string EscapeSecretPath(string path)
    {
        string trimmed = path.Trim('/');
        string[] segments = trimmed.Split('/');
        if (trimmed.Length == 0 || segments.Any(segment => segment is "" or "." or ".."))
        {
            throw new ProviderException(Name, ProviderErrorKind.Invalid, $"Provider {Name}: \"{path}\" is not a valid KV path; write segments separated by single slashes, without . or .. segments.");
        }

        return EscapePath(trimmed);
    }

    private static string EscapePath(string path) => string.Join('/', path.Trim('/').Split('/').Select(Uri.EscapeDataString));
}
