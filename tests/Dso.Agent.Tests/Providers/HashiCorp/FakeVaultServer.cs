using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dso.Agent.Tests.Providers.HashiCorp;

/// <summary>
/// A stand-in for a Vault server on 127.0.0.1, speaking HTTP/1.1 (optionally over TLS) with Vault's documented
/// wire format: the /v1 paths of token and AppRole auth, KV versions 1 and 2 and the mounts endpoint, the
/// X-Vault-Token and X-Vault-Namespace headers, response bodies shaped as Vault's, and errors as
/// {"errors":[...]}. Every request except a login must carry a known, unexpired token, or it gets 403
/// "permission denied" as from Vault. Token lifetimes follow the given clock.
/// </summary>
internal sealed class FakeVaultServer : IAsyncDisposable
{
    private const string PermissionDenied = "permission denied";

    private readonly TcpListener _listener;
    private readonly X509Certificate2? _certificate;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private readonly Dictionary<string, TokenRecord> _tokens = new(StringComparer.Ordinal);
    private readonly Dictionary<string, AppRole> _appRoles = new(StringComparer.Ordinal);
    private readonly Dictionary<string, KvMount> _mounts = new(StringComparer.Ordinal);
    private readonly HashSet<string> _deniedPaths = new(StringComparer.Ordinal);
    private readonly List<Fault> _faults = [];
    private readonly List<string> _slowPathPrefixes = [];
    private readonly List<(Func<RecordedRequest, bool> Match, TaskCompletionSource<RecordedRequest> Signal)> _waiters = [];
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly Task _acceptLoop;
    private int _issuedTokens;

    public FakeVaultServer(TimeProvider time, X509Certificate2? certificate = null)
    {
        _time = time;
        _certificate = certificate;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        int port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        Address = new Uri($"{(certificate is null ? "http" : "https")}://127.0.0.1:{port}");
        _acceptLoop = AcceptAsync();
    }

    public Uri Address { get; }

    /// <summary>When set, requests without this X-Vault-Namespace get 403, as from Vault's root namespace.</summary>
    public string? RequiredNamespace { get; set; }

    public IReadOnlyList<RecordedRequest> Requests => _requests.ToArray();

    public int Count(string method, string pathPrefix) =>
        _requests.Count(request => request.Method == method && request.PathAndQuery.StartsWith(pathPrefix, StringComparison.Ordinal));

    public void AddToken(string token, TimeSpan? ttl = null, bool renewable = false, TimeSpan? maxTtl = null)
    {
        lock (_lock)
        {
            _tokens[token] = TokenRecord.Create(_time.GetUtcNow(), ttl, renewable, maxTtl);
        }
    }

    public void RevokeToken(string token)
    {
        lock (_lock)
        {
            _tokens.Remove(token);
        }
    }

    public void AddAppRole(string mount, string roleId, string secretId, TimeSpan tokenTtl, bool renewable, TimeSpan? maxTtl = null)
    {
        lock (_lock)
        {
            _appRoles[mount] = new AppRole(roleId, secretId, tokenTtl, renewable, maxTtl);
        }
    }

    /// <summary>The tokens issued by AppRole logins, in order.</summary>
    public List<string> IssuedTokens { get; } = [];

    public void AddMount(string mount, int kvVersion)
    {
        lock (_lock)
        {
            _mounts[mount] = new KvMount(kvVersion);
        }
    }

    /// <summary>Writes a new version of a KV secret and returns its number (always 1 on a version 1 mount).</summary>
    public int Put(string mount, string path, string dataJson)
    {
        lock (_lock)
        {
            KvMount kv = _mounts[mount];
            if (!kv.Secrets.TryGetValue(path, out List<KvVersion>? versions))
            {
                versions = [];
                kv.Secrets[path] = versions;
            }

            if (kv.Version == 1)
            {
                versions.Clear();
            }

            versions.Add(new KvVersion(dataJson, _time.GetUtcNow()));
            return versions.Count;
        }
    }

    public void DeleteVersion(string mount, string path, int version)
    {
        lock (_lock)
        {
            _mounts[mount].Secrets[path][version - 1].DeletedAt = _time.GetUtcNow();
        }
    }

    public void DestroyVersion(string mount, string path, int version)
    {
        lock (_lock)
        {
            _mounts[mount].Secrets[path][version - 1].Destroyed = true;
        }
    }

    /// <summary>Answers 403 "permission denied" to a valid token for this API path, as a missing policy does.</summary>
    public void Deny(string apiPath)
    {
        lock (_lock)
        {
            _deniedPaths.Add(apiPath);
        }
    }

    /// <summary>Answers the next <paramref name="times"/> requests whose path starts with the prefix with this status and error.</summary>
    public void FailNext(string pathPrefix, int status, string error, int times)
    {
        lock (_lock)
        {
            _faults.Add(new Fault(pathPrefix, status, error) { Remaining = times });
        }
    }

    /// <summary>Drops the failures that <see cref="FailNext"/> set up and has not used yet.</summary>
    public void ClearFaults()
    {
        lock (_lock)
        {
            _faults.Clear();
        }
    }

    /// <summary>Holds every request whose path starts with the prefix unanswered until the server is disposed.</summary>
    public void Stall(string pathPrefix)
    {
        lock (_lock)
        {
            _slowPathPrefixes.Add(pathPrefix);
        }
    }

    /// <summary>Completes when a request matching <paramref name="match"/> arrives (or has arrived).</summary>
    public Task<RecordedRequest> WaitForRequestAsync(Func<RecordedRequest, bool> match)
    {
        lock (_lock)
        {
            if (_requests.FirstOrDefault(match) is { } seen)
            {
                return Task.FromResult(seen);
            }

            var signal = new TaskCompletionSource<RecordedRequest>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((match, signal));
            return signal.Task;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _released.TrySetResult();
        await _stopping.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (OperationCanceledException)
        {
        }

        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception error) when (error is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                Stream stream = client.GetStream();
                if (_certificate is not null)
                {
                    var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                    await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = _certificate }, _stopping.Token);
                    stream = tls;
                }

                await using (stream)
                {
                    RecordedRequest? request = await ReadRequestAsync(stream);
                    if (request is null)
                    {
                        return;
                    }

                    Record(request);
                    if (IsStalled(request))
                    {
                        await _released.Task;
                        return;
                    }

                    (int status, string body) = Handle(request);
                    byte[] content = Encoding.UTF8.GetBytes(body);
                    string head = string.Create(CultureInfo.InvariantCulture, $"HTTP/1.1 {status} Status\r\nContent-Type: application/json\r\nContent-Length: {content.Length}\r\nConnection: close\r\n\r\n");
                    await stream.WriteAsync(Encoding.ASCII.GetBytes(head), _stopping.Token);
                    await stream.WriteAsync(content, _stopping.Token);
                    await stream.FlushAsync(_stopping.Token);
                }
            }
            catch (Exception error) when (error is IOException or SocketException or OperationCanceledException or System.Security.Authentication.AuthenticationException or ObjectDisposedException)
            {
                // The client went away or rejected the certificate, which some tests expect.
            }
        }
    }

    private static async Task<RecordedRequest?> ReadRequestAsync(Stream stream)
    {
        var head = new List<byte>();
        var nextByte = new byte[1];
        while (!(head.Count >= 4 && head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(nextByte) == 0)
            {
                return null;
            }

            head.Add(nextByte[0]);
        }

        string[] lines = Encoding.ASCII.GetString(head.ToArray()).Split("\r\n");
        string[] requestLine = lines[0].Split(' ');
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string line in lines.Skip(1).Where(line => line.Length > 0))
        {
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            headers[line[..colon].Trim()] = line[(colon + 1)..].Trim();
        }

        byte[] body = [];
        if (headers.TryGetValue("Content-Length", out string? length) && int.Parse(length, CultureInfo.InvariantCulture) is > 0 and int size)
        {
            body = new byte[size];
            await stream.ReadExactlyAsync(body);
        }

        return new RecordedRequest(
            requestLine[0],
            requestLine[1],
            headers.GetValueOrDefault("X-Vault-Token"),
            headers.GetValueOrDefault("X-Vault-Namespace"),
            Encoding.UTF8.GetString(body));
    }

    private void Record(RecordedRequest request)
    {
        lock (_lock)
        {
            _requests.Enqueue(request);
            foreach (var waiter in _waiters.Where(waiter => waiter.Match(request)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Signal.TrySetResult(request);
            }
        }
    }

    private bool IsStalled(RecordedRequest request)
    {
        lock (_lock)
        {
            return _slowPathPrefixes.Any(prefix => request.PathAndQuery.StartsWith(prefix, StringComparison.Ordinal));
        }
    }

    private (int Status, string Body) Handle(RecordedRequest request)
    {
        lock (_lock)
        {
            // Seal state and rate limit quotas are checked before the token, as in Vault.
            if (_faults.FirstOrDefault(fault => fault.Remaining > 0 && request.PathAndQuery.StartsWith(fault.PathPrefix, StringComparison.Ordinal)) is { } fault)
            {
                fault.Remaining--;
                return Errors(fault.Status, fault.Error);
            }

            if (RequiredNamespace is not null && request.Namespace != RequiredNamespace)
            {
                return Errors(403, PermissionDenied);
            }

            string path = request.PathAndQuery.Split('?')[0];
            string? query = request.PathAndQuery.Contains('?', StringComparison.Ordinal) ? request.PathAndQuery.Split('?')[1] : null;
            if (request.Method == "POST" && path.StartsWith("/v1/auth/", StringComparison.Ordinal) && path.EndsWith("/login", StringComparison.Ordinal))
            {
                return Login(path["/v1/auth/".Length..^"/login".Length], request.Body);
            }

            if (request.Token is null || !_tokens.TryGetValue(request.Token, out TokenRecord? token) || !token.IsValidAt(_time.GetUtcNow()))
            {
                return Errors(403, PermissionDenied);
            }

            if (_deniedPaths.Contains(path))
            {
                return Errors(403, PermissionDenied);
            }

            return (request.Method, path) switch
            {
                ("GET", "/v1/auth/token/lookup-self") => LookupSelf(request.Token, token),
                ("POST", "/v1/auth/token/renew-self") => RenewSelf(request.Token, token),
                ("GET", _) when path.StartsWith("/v1/sys/internal/ui/mounts/", StringComparison.Ordinal) => MountInfo(path["/v1/sys/internal/ui/mounts/".Length..]),
                ("GET", _) => ReadKv(path["/v1/".Length..], query),
                _ => Errors(405, "unsupported operation"),
            };
        }
    }

    private (int, string) Login(string mount, string body)
    {
        using JsonDocument request = JsonDocument.Parse(body.Length == 0 ? "{}" : body);
        string? roleId = request.RootElement.TryGetProperty("role_id", out JsonElement role) ? role.GetString() : null;
        string? secretId = request.RootElement.TryGetProperty("secret_id", out JsonElement secret) ? secret.GetString() : null;
        if (!_appRoles.TryGetValue(mount, out AppRole? appRole))
        {
            return Errors(400, $"no handler for route \"auth/{mount}/login\". route entry not found.");
        }

        if (roleId != appRole.RoleId || secretId != appRole.SecretId)
        {
            return Errors(400, "invalid role or secret ID");
        }

        string token = string.Create(CultureInfo.InvariantCulture, $"hvs.approle-issued-{Interlocked.Increment(ref _issuedTokens)}");
        _tokens[token] = TokenRecord.Create(_time.GetUtcNow(), appRole.TokenTtl, appRole.Renewable, appRole.MaxTtl);
        IssuedTokens.Add(token);
        return (200, Json(new JsonObject
        {
            ["request_id"] = Guid.NewGuid().ToString(),
            ["lease_id"] = "",
            ["renewable"] = false,
            ["lease_duration"] = 0,
            ["data"] = null,
            ["wrap_info"] = null,
            ["warnings"] = null,
            ["auth"] = new JsonObject
            {
                ["client_token"] = token,
                ["accessor"] = "accessor-" + token[^1],
                ["policies"] = new JsonArray("default", "dso"),
                ["token_policies"] = new JsonArray("default", "dso"),
                ["metadata"] = new JsonObject { ["role_name"] = "dso" },
                ["lease_duration"] = (long)appRole.TokenTtl.TotalSeconds,
                ["renewable"] = appRole.Renewable,
                ["entity_id"] = "",
                ["token_type"] = "service",
                ["orphan"] = true,
            },
        }));
    }

    private (int, string) LookupSelf(string tokenValue, TokenRecord token) => (200, Json(new JsonObject
    {
        ["request_id"] = Guid.NewGuid().ToString(),
        ["lease_id"] = "",
        ["renewable"] = false,
        ["lease_duration"] = 0,
        ["data"] = new JsonObject
        {
            ["accessor"] = "accessor",
            ["creation_ttl"] = token.TtlSeconds,
            ["display_name"] = "token",
            ["expire_time"] = token.ExpiresAt?.ToString("O", CultureInfo.InvariantCulture),
            ["explicit_max_ttl"] = 0,

            // Vault returns the token itself as "id"; the provider must not keep or print it.
            ["id"] = tokenValue,
            ["policies"] = new JsonArray("default"),
            ["renewable"] = token.Renewable,
            ["ttl"] = token.RemainingSeconds(_time.GetUtcNow()),
            ["type"] = "service",
        },
        ["wrap_info"] = null,
        ["warnings"] = null,
        ["auth"] = null,
    }));

    private (int, string) RenewSelf(string tokenValue, TokenRecord token)
    {
        if (!token.Renewable)
        {
            return Errors(400, "lease is not renewable");
        }

        long lease = token.Renew(_time.GetUtcNow());
        return (200, Json(new JsonObject
        {
            ["request_id"] = Guid.NewGuid().ToString(),
            ["lease_id"] = "",
            ["renewable"] = false,
            ["lease_duration"] = 0,
            ["data"] = null,
            ["wrap_info"] = null,
            ["warnings"] = null,
            ["auth"] = new JsonObject
            {
                ["client_token"] = tokenValue,
                ["accessor"] = "accessor",
                ["policies"] = new JsonArray("default"),
                ["lease_duration"] = lease,
                ["renewable"] = true,
            },
        }));
    }

    private (int, string) MountInfo(string mount)
    {
        if (!_mounts.TryGetValue(mount.TrimEnd('/'), out KvMount? kv))
        {
            return Errors(400, "no mount found");
        }

        return (200, Json(new JsonObject
        {
            ["request_id"] = Guid.NewGuid().ToString(),
            ["data"] = new JsonObject
            {
                ["accessor"] = "kv_1234",
                ["config"] = new JsonObject { ["default_lease_ttl"] = 0, ["max_lease_ttl"] = 0 },
                ["description"] = "key/value secret storage",
                ["local"] = false,
                ["options"] = new JsonObject { ["version"] = kv.Version.ToString(CultureInfo.InvariantCulture) },
                ["path"] = mount.TrimEnd('/') + "/",
                ["seal_wrap"] = false,
                ["type"] = "kv",
            },
        }));
    }

    private (int, string) ReadKv(string mountAndPath, string? query)
    {
        string? mountName = _mounts.Keys.Where(mount => mountAndPath.StartsWith(mount + "/", StringComparison.Ordinal)).OrderByDescending(mount => mount.Length).FirstOrDefault();
        if (mountName is null)
        {
            return Errors(403, PermissionDenied);
        }

        KvMount kv = _mounts[mountName];
        string rest = mountAndPath[(mountName.Length + 1)..];
        if (kv.Version == 1)
        {
            string key = Unescape(rest);
            return kv.Secrets.TryGetValue(key, out List<KvVersion>? only) && only.Count > 0
                ? (200, Json(new JsonObject
                {
                    ["request_id"] = Guid.NewGuid().ToString(),
                    ["lease_id"] = "",
                    ["renewable"] = false,
                    ["lease_duration"] = 2764800,
                    ["data"] = JsonNode.Parse(only[^1].Data),
                    ["wrap_info"] = null,
                    ["warnings"] = null,
                    ["auth"] = null,
                }))
                : Errors(404, null);
        }

        if (rest.StartsWith("data/", StringComparison.Ordinal))
        {
            return ReadKv2Data(kv, Unescape(rest["data/".Length..]), query);
        }

        if (rest.StartsWith("metadata/", StringComparison.Ordinal))
        {
            return ReadKv2Metadata(kv, Unescape(rest["metadata/".Length..]));
        }

        return Errors(404, null);
    }

    private static (int, string) ReadKv2Data(KvMount kv, string path, string? query)
    {
        if (!kv.Secrets.TryGetValue(path, out List<KvVersion>? versions) || versions.Count == 0)
        {
            return Errors(404, null);
        }

        int number = versions.Count;
        if (query is not null && query.StartsWith("version=", StringComparison.Ordinal))
        {
            number = int.Parse(query["version=".Length..], CultureInfo.InvariantCulture);
        }

        if (number < 1 || number > versions.Count)
        {
            return Errors(404, null);
        }

        KvVersion version = versions[number - 1];
        bool readable = version.DeletedAt is null && !version.Destroyed;

        // A deleted or destroyed version comes back as 404 with its metadata and null data, as Vault does.
        return (readable ? 200 : 404, Json(new JsonObject
        {
            ["request_id"] = Guid.NewGuid().ToString(),
            ["lease_id"] = "",
            ["renewable"] = false,
            ["lease_duration"] = 0,
            ["data"] = new JsonObject
            {
                ["data"] = readable ? JsonNode.Parse(version.Data) : null,
                ["metadata"] = VersionMetadata(version, number, includeVersion: true),
            },
            ["wrap_info"] = null,
            ["warnings"] = null,
            ["auth"] = null,
        }));
    }

    private static (int, string) ReadKv2Metadata(KvMount kv, string path)
    {
        if (!kv.Secrets.TryGetValue(path, out List<KvVersion>? versions) || versions.Count == 0)
        {
            return Errors(404, null);
        }

        var versionsObject = new JsonObject();
        for (int index = 0; index < versions.Count; index++)
        {
            versionsObject[(index + 1).ToString(CultureInfo.InvariantCulture)] = VersionMetadata(versions[index], index + 1, includeVersion: false);
        }

        return (200, Json(new JsonObject
        {
            ["request_id"] = Guid.NewGuid().ToString(),
            ["data"] = new JsonObject
            {
                ["cas_required"] = false,
                ["created_time"] = Timestamp(versions[0].CreatedAt),
                ["current_version"] = versions.Count,
                ["custom_metadata"] = null,
                ["delete_version_after"] = "0s",
                ["max_versions"] = 0,
                ["oldest_version"] = 0,
                ["updated_time"] = Timestamp(versions[^1].CreatedAt),
                ["versions"] = versionsObject,
            },
        }));
    }

    private static JsonObject VersionMetadata(KvVersion version, int number, bool includeVersion)
    {
        var metadata = new JsonObject
        {
            ["created_time"] = Timestamp(version.CreatedAt),
            ["custom_metadata"] = null,
            ["deletion_time"] = version.DeletedAt is { } deleted ? Timestamp(deleted) : "",
            ["destroyed"] = version.Destroyed,
        };
        if (includeVersion)
        {
            metadata["version"] = number;
        }

        return metadata;
    }

    private static (int, string) Errors(int status, string? error) =>
        (status, Json(new JsonObject { ["errors"] = error is null ? new JsonArray() : new JsonArray(error) }));

    private static string Json(JsonObject value) => value.ToJsonString();

    private static string Timestamp(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private static string Unescape(string path) => string.Join('/', path.Split('/').Select(Uri.UnescapeDataString));

    internal sealed record RecordedRequest(string Method, string PathAndQuery, string? Token, string? Namespace, string Body);

    private sealed record AppRole(string RoleId, string SecretId, TimeSpan TokenTtl, bool Renewable, TimeSpan? MaxTtl);

    private sealed record Fault(string PathPrefix, int Status, string Error)
    {
        public int Remaining { get; set; }
    }

    private sealed record KvMount(int Version)
    {
        public Dictionary<string, List<KvVersion>> Secrets { get; } = new(StringComparer.Ordinal);
    }

    private sealed class KvVersion(string data, DateTimeOffset createdAt)
    {
        public string Data { get; } = data;

        public DateTimeOffset CreatedAt { get; } = createdAt;

        public DateTimeOffset? DeletedAt { get; set; }

        public bool Destroyed { get; set; }
    }

    private sealed class TokenRecord
    {
        private TokenRecord(TimeSpan? ttl, bool renewable, DateTimeOffset? expiresAt, DateTimeOffset? maxExpiresAt)
        {
            Ttl = ttl;
            Renewable = renewable;
            ExpiresAt = expiresAt;
            MaxExpiresAt = maxExpiresAt;
        }

        public TimeSpan? Ttl { get; }

        public bool Renewable { get; }

        public DateTimeOffset? ExpiresAt { get; private set; }

        public DateTimeOffset? MaxExpiresAt { get; }

        public long TtlSeconds => (long)(Ttl?.TotalSeconds ?? 0);

        public static TokenRecord Create(DateTimeOffset now, TimeSpan? ttl, bool renewable, TimeSpan? maxTtl) =>
            new(ttl, renewable, ttl is { } lease ? now + lease : null, maxTtl is { } max ? now + max : null);

        public bool IsValidAt(DateTimeOffset now) => ExpiresAt is null || now < ExpiresAt;

        public long RemainingSeconds(DateTimeOffset now) => ExpiresAt is { } expiresAt ? (long)(expiresAt - now).TotalSeconds : 0;

        /// <summary>Extends the lease by the token's TTL, capped at its max TTL, and returns the new lease in seconds.</summary>
        public long Renew(DateTimeOffset now)
        {
            if (Ttl is not { } ttl)
            {
                return 0;
            }

            DateTimeOffset next = now + ttl;
            if (MaxExpiresAt is { } max && next > max)
            {
                next = max;
            }

            ExpiresAt = next;
            return (long)(next - now).TotalSeconds;
        }
    }
}
