using System.Security.Cryptography;
using System.Text.Json;
using Dso.Agent.Configuration;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Providers.HashiCorp;

/// <summary>
/// Holds the Vault token of one provider and keeps it alive. A configured token is checked with lookup-self; an
/// AppRole logs in. A renewable token is renewed at half its lease, by a timer of the injected
/// <see cref="TimeProvider"/> and, if that has not happened yet, before the next call. AppRole logs in again when
/// renewal fails, is not possible, or grants less than half the login lease (the token nears its max TTL).
/// </summary>
/// <remarks>
/// After Vault rejects the credentials, calls fail at once with <see cref="ProviderErrorKind.Unauthenticated"/>
/// and make no request, so a bad token causes no stream of 403s. dso authenticates again after
/// <see cref="FirstRetryDelay"/>, doubling up to <see cref="MaxRetryDelay"/>.
/// </remarks>
internal sealed class VaultAuthenticator : IDisposable
{
    public static readonly TimeSpan FirstRetryDelay = TimeSpan.FromSeconds(30);

    public static readonly TimeSpan MaxRetryDelay = TimeSpan.FromMinutes(5);

    /// <summary>The wait before trying again after a renewal or login failed on a network or server error.</summary>
    public static readonly TimeSpan TransientRetryDelay = TimeSpan.FromSeconds(30);

    private const string LookupSelfPath = "/v1/auth/token/lookup-self";
    private const string RenewSelfPath = "/v1/auth/token/renew-self";

    private readonly VaultAuthConfig _auth;
    private readonly VaultTransport _transport;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _timer;
    private volatile Session? _session;
    private volatile AuthFailure? _failure;
    private long _requestCount;
    private long _verifiedThrough;

    public VaultAuthenticator(string provider, VaultAuthConfig auth, VaultTransport transport, TimeProvider time, ILogger logger)
    {
        Provider = provider;
        _auth = auth;
        _transport = transport;
        _time = time;
        _logger = logger;
        _transport.SetCredentials([auth.Token, auth.RoleId, auth.SecretId]);
        _timer = time.CreateTimer(_ => _ = RefreshInBackgroundAsync(), null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string Provider { get; }

    /// <summary>The error of the last failed authentication, until one succeeds. It contains no credential.</summary>
    public ProviderException? Failure => _failure?.Error;

    /// <summary>Returns a token to send, authenticating or renewing first when that is due.</summary>
    /// <exception cref="ProviderException">Authentication failed, now or recently (kind Unauthenticated), or Vault is unreachable.</exception>
    public async Task<string> GetTokenAsync(CancellationToken cancellationToken)
    {
        Session? session = _session;
        if (session is not null && !IsDue(session))
        {
            return session.Token;
        }

        return await RefreshAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Numbers a request before it is sent, for <see cref="VerifyTokenAsync"/>.</summary>
    public long BeginRequest() => Interlocked.Increment(ref _requestCount);

    /// <summary>
    /// Checks a token after Vault returned 403 to a call made with it: lookup-self tells a bad token apart from
    /// a missing policy. Returns true when the caller should try again with a new token (another caller replaced
    /// it, or AppRole logged in again), false when the token is valid, so the 403 means access denied.
    /// </summary>
    /// <param name="request">The number <see cref="BeginRequest"/> gave the denied request. A token found valid by a
    /// lookup that began after that request was valid when it was sent too, since a revoked token stays revoked,
    /// so one lookup serves all the denied paths of a poll.</param>
    /// <exception cref="ProviderException">The token is invalid and no new one could be had (kind Unauthenticated).</exception>
    public async Task<bool> VerifyTokenAsync(string token, long request, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Session? session = _session;
            if (session is null || !string.Equals(session.Token, token, StringComparison.Ordinal))
            {
                ThrowIfWaiting();
                return true;
            }

            if (_verifiedThrough >= request)
            {
                return false;
            }

            try
            {
                // NOTE: this assumes the token may call lookup-self, which Vault's default policy allows. A token
                // created with no_default_policy and no such grant is reported as invalid.
                long sentBefore = Interlocked.Read(ref _requestCount);
                _ = await LookupAsync(token, cancellationToken).ConfigureAwait(false);
                _verifiedThrough = sentBefore;
                return false;
            }
            catch (ProviderException error) when (error.Kind == ProviderErrorKind.Unauthenticated && _auth.Method == VaultAuthMethod.AppRole)
            {
                VaultLog.RenewalFailed(_logger, Provider, error.Message);
                Accept(await LoginOrRecordAsync(cancellationToken).ConfigureAwait(false));
                return true;
            }
            catch (ProviderException error) when (error.Kind == ProviderErrorKind.Unauthenticated)
            {
                RecordFailure(error);
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _timer.Dispose();
        _stopping.Dispose();
    }

    private bool IsDue(Session session) => session.RefreshAt is { } refreshAt && _time.GetUtcNow() >= refreshAt;

    private async Task<string> RefreshAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Another caller or the timer may have refreshed the token while this one waited.
            Session? session = _session;
            if (session is not null && !IsDue(session))
            {
                return session.Token;
            }

            ThrowIfWaiting();
            Session next;
            try
            {
                next = session is null
                    ? await AuthenticateAsync(cancellationToken).ConfigureAwait(false)
                    : await RenewOrLogInAsync(session, cancellationToken).ConfigureAwait(false);
            }
            catch (ProviderException error) when (error.Kind == ProviderErrorKind.Unauthenticated)
            {
                RecordFailure(error);
                throw;
            }
            catch (ProviderException error) when (error.IsTransient && session?.ExpiresAt is { } expiresAt && _time.GetUtcNow() < expiresAt)
            {
                // The current token still works, so keep it and try again soon, but no later than its expiry.
                VaultLog.RenewalFailed(_logger, Provider, error.Message);
                DateTimeOffset retryAt = _time.GetUtcNow() + TransientRetryDelay;
                next = session.WithRefreshAt(retryAt < expiresAt ? retryAt : expiresAt);
            }

            Accept(next);
            return next.Token;
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task<Session> AuthenticateAsync(CancellationToken cancellationToken)
    {
        if (_auth.Method == VaultAuthMethod.AppRole)
        {
            return await LogInAsync(cancellationToken).ConfigureAwait(false);
        }

        (Session session, VaultLookupData data) = await LookupAsync(_auth.Token!, cancellationToken).ConfigureAwait(false);
        VaultLog.TokenLookedUp(_logger, Provider, data.Ttl, data.Renewable);
        return session;
    }

    private async Task<Session> RenewOrLogInAsync(Session session, CancellationToken cancellationToken)
    {
        bool isAppRole = _auth.Method == VaultAuthMethod.AppRole;
        if (session.Renewable)
        {
            Session? renewed;
            try
            {
                renewed = await RenewAsync(session, cancellationToken).ConfigureAwait(false);
            }
            catch (ProviderException error) when (error.Kind == ProviderErrorKind.Unauthenticated && isAppRole)
            {
                VaultLog.RenewalFailed(_logger, Provider, error.Message);
                return await LogInAsync(cancellationToken).ConfigureAwait(false);
            }

            if (renewed is not null && renewed.Lease >= session.LoginLease / 2)
            {
                return renewed;
            }

            if (isAppRole)
            {
                return await LogInAsync(cancellationToken).ConfigureAwait(false);
            }

            if (renewed is not null)
            {
                // The token nears its max TTL: keep renewing what is left and warn that it will end.
                VaultLog.TokenExpiring(_logger, Provider, renewed.ExpiresAt ?? _time.GetUtcNow());
                return renewed;
            }
        }
        else if (isAppRole)
        {
            return await LogInAsync(cancellationToken).ConfigureAwait(false);
        }

        // A configured token that cannot be renewed is used until it expires, then checked once more, which
        // reports it as expired.
        if (session.ExpiresAt is { } expiresAt && _time.GetUtcNow() < expiresAt)
        {
            VaultLog.TokenExpiring(_logger, Provider, expiresAt);
            return session.WithRefreshAt(expiresAt);
        }

        (Session checkedSession, _) = await LookupAsync(session.Token, cancellationToken).ConfigureAwait(false);
        return checkedSession;
    }

    private async Task<(Session Session, VaultLookupData Data)> LookupAsync(string token, CancellationToken cancellationToken)
    {
        using VaultResponse response = await _transport.SendAsync(HttpMethod.Get, LookupSelfPath, null, token, null, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccess)
        {
            string advice = _auth.Method == VaultAuthMethod.Token
                ? $"The token in auth.token is invalid, expired or revoked. Set a valid token (for the service, in {AgentPaths.EnvironmentFileName}) and restart the agent."
                : "The AppRole token is invalid, expired or revoked; dso logs in again.";
            throw _transport.Failure(ProviderErrorKind.Unauthenticated, response, advice);
        }

        VaultLookupData data = response.ReadJson(VaultJsonContext.Default.VaultLookupBody)?.Data
            ?? throw Malformed(response, "has no data object");
        return (Session.Start(token, data.Ttl, data.Renewable, loginLeaseSeconds: data.Ttl, _time.GetUtcNow()), data);
    }

    /// <summary>Renews the token. Returns null when Vault rejects the renewal with HTTP 400 because the token cannot be renewed.</summary>
    private async Task<Session?> RenewAsync(Session session, CancellationToken cancellationToken)
    {
        using VaultResponse response = await _transport.SendAsync(HttpMethod.Post, RenewSelfPath, null, session.Token, null, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == 400)
        {
            VaultLog.RenewalFailed(_logger, Provider, _transport.Failure(ProviderErrorKind.Invalid, response, "The token cannot be renewed.").Message);
            return null;
        }

        if (!response.IsSuccess)
        {
            throw _transport.Failure(ProviderErrorKind.Unauthenticated, response, "Vault rejected the renewal, so the token was revoked or has expired.");
        }

        VaultAuthData auth = response.ReadJson(VaultJsonContext.Default.VaultAuthBody)?.Auth
            ?? throw Malformed(response, "has no auth object");
        VaultLog.TokenRenewed(_logger, Provider, auth.LeaseDuration);
        return Session.Start(session.Token, auth.LeaseDuration, auth.Renewable, session.LoginLease.Ticks / TimeSpan.TicksPerSecond, _time.GetUtcNow());
    }

    private async Task<Session> LogInAsync(CancellationToken cancellationToken)
    {
        string mount = string.Join('/', _auth.AppRoleMount.Split('/').Select(Uri.EscapeDataString));
        byte[] body = JsonSerializer.SerializeToUtf8Bytes(new AppRoleLoginRequest { RoleId = _auth.RoleId!, SecretId = _auth.SecretId! }, VaultJsonContext.Default.AppRoleLoginRequest);
        try
        {
            using VaultResponse response = await _transport.SendAsync(HttpMethod.Post, $"/v1/auth/{mount}/login", null, null, body, cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccess)
            {
                throw _transport.Failure(
                    ProviderErrorKind.Unauthenticated,
                    response,
                    $"Check auth.role_id and auth.secret_id (a secret id can expire or run out of uses), and that AppRole is enabled at auth.mount ({_auth.AppRoleMount}).");
            }

            VaultAuthData auth = response.ReadJson(VaultJsonContext.Default.VaultAuthBody)?.Auth is { ClientToken.Length: > 0 } data
                ? data
                : throw Malformed(response, "has no auth.client_token");
            VaultLog.LoggedIn(_logger, Provider, _auth.AppRoleMount, auth.LeaseDuration, auth.Renewable);
            return Session.Start(auth.ClientToken!, auth.LeaseDuration, auth.Renewable, auth.LeaseDuration, _time.GetUtcNow());
        }
        finally
        {
            CryptographicOperations.ZeroMemory(body);
        }
    }

    private async Task<Session> LoginOrRecordAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await LogInAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ProviderException error) when (error.Kind == ProviderErrorKind.Unauthenticated)
        {
            RecordFailure(error);
            throw;
        }
    }

    private void Accept(Session session)
    {
        if (!string.Equals(_session?.Token, session.Token, StringComparison.Ordinal))
        {
            _verifiedThrough = 0;
        }

        _session = session;
        _transport.SetCredentials([_auth.Token, _auth.RoleId, _auth.SecretId, session.Token]);
        if (_failure is not null)
        {
            _failure = null;
            VaultLog.AuthenticationRecovered(_logger, Provider);
        }

        Schedule(session.RefreshAt);
    }

    private void RecordFailure(ProviderException error)
    {
        _session = null;
        DateTimeOffset now = _time.GetUtcNow();
        TimeSpan delay = _failure is { } previous ? TimeSpan.FromTicks(Math.Min(previous.Delay.Ticks * 2, MaxRetryDelay.Ticks)) : FirstRetryDelay;
        _failure = new AuthFailure(error, now + delay, delay);
        VaultLog.AuthenticationFailed(_logger, Provider, now + delay, error.Message);
        Schedule(now + delay);
    }

    private void ThrowIfWaiting()
    {
        if (_failure is { } failure && _time.GetUtcNow() < failure.RetryAt)
        {
            throw new ProviderException(
                Provider,
                ProviderErrorKind.Unauthenticated,
                $"{failure.Error.Message} No request is sent to Vault until {failure.RetryAt:u}, when dso authenticates again.",
                failure.Error)
            {
                StatusCode = failure.Error.StatusCode,
            };
        }
    }

    private void Schedule(DateTimeOffset? at)
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        if (at is null)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        TimeSpan due = at.Value - _time.GetUtcNow();
        _timer.Change(due < TimeSpan.Zero ? TimeSpan.Zero : due, Timeout.InfiniteTimeSpan);
    }

    private async Task RefreshInBackgroundAsync()
    {
        try
        {
            await RefreshAsync(_stopping.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // The provider is being disposed.
        }
        catch (ObjectDisposedException)
        {
            // The provider was disposed while the refresh waited.
        }
        catch (ProviderException error) when (error.Kind != ProviderErrorKind.Unauthenticated)
        {
            // A network or server failure: Vault may answer again soon, so the refresh is tried again.
            VaultLog.RenewalFailed(_logger, Provider, error.Message);
            Schedule(_time.GetUtcNow() + TransientRetryDelay);
        }
        catch (ProviderException)
        {
            // Logged by RecordFailure, which also scheduled the next attempt.
        }
    }


    private ProviderException Malformed(VaultResponse response, string problem) =>
        new(Provider, ProviderErrorKind.Invalid, $"Provider {Provider}: {response.Operation} returned HTTP {response.StatusCode} with a body that {problem}. Check that address points at a Vault server, not a proxy page.")
        {
            StatusCode = response.StatusCode,
        };

    /// <summary>A token with its lease. ToString never shows the token.</summary>
    private sealed class Session
    {
        private Session(string token, bool renewable, TimeSpan lease, TimeSpan loginLease, DateTimeOffset? expiresAt, DateTimeOffset? refreshAt)
        {
            Token = token;
            Renewable = renewable;
            Lease = lease;
            LoginLease = loginLease;
            ExpiresAt = expiresAt;
            RefreshAt = refreshAt;
        }

        public string Token { get; }

        public bool Renewable { get; }

        public TimeSpan Lease { get; }

        /// <summary>The lease granted at login (or found at the first lookup), against which renewals are measured.</summary>
        public TimeSpan LoginLease { get; }

        /// <summary>Null when the token never expires.</summary>
        public DateTimeOffset? ExpiresAt { get; }

        /// <summary>When to renew or log in again: half the lease from now, or null for a token that never expires.</summary>
        public DateTimeOffset? RefreshAt { get; }

        public static Session Start(string token, long leaseSeconds, bool renewable, long loginLeaseSeconds, DateTimeOffset now)
        {
            if (leaseSeconds <= 0)
            {
                return new Session(token, renewable, TimeSpan.Zero, TimeSpan.Zero, null, null);
            }

            TimeSpan lease = TimeSpan.FromSeconds(leaseSeconds);
            return new Session(token, renewable, lease, TimeSpan.FromSeconds(Math.Max(loginLeaseSeconds, leaseSeconds)), now + lease, now + (lease / 2));
        }

        public Session WithRefreshAt(DateTimeOffset refreshAt) => new(Token, Renewable, Lease, LoginLease, ExpiresAt, refreshAt);

        public override string ToString() => $"Session(lease {Lease}, renewable {Renewable}, expires {ExpiresAt:u})";
    }

    private sealed record AuthFailure(ProviderException Error, DateTimeOffset RetryAt, TimeSpan Delay);
}
