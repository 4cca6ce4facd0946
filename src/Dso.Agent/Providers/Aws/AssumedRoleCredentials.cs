using Amazon.Runtime;
using Amazon.SecurityToken;
using Amazon.SecurityToken.Model;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Providers.Aws;

/// <summary>
/// Temporary credentials of an IAM role, obtained from STS with AssumeRoleWithWebIdentity or AssumeRole and
/// obtained again before they expire. Callers that arrive while a call to STS is in flight wait for that call,
/// so one refresh sends one request however many secrets are read at once.
/// </summary>
/// <remarks>
/// RefreshingAWSCredentials of AWSSDK.Core reads the wall clock; this class reads the provider's
/// <see cref="TimeProvider"/>, so that tests can move the clock past the refresh point.
/// </remarks>
internal sealed partial class AssumedRoleCredentials : AWSCredentials, IDisposable
{
    /// <summary>How long before their expiry the credentials are replaced, at most.</summary>
    public static readonly TimeSpan RefreshBefore = TimeSpan.FromMinutes(5);

    private readonly AwsStsCall _call;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private Session? _session;
    private Task<Session>? _refresh;

    public AssumedRoleCredentials(AwsStsCall call, TimeProvider time, ILogger logger)
    {
        _call = call;
        _time = time;
        _logger = logger;
    }

    /// <summary>The role that these credentials act as.</summary>
    public string RoleArn => _call.RoleArn;

    public override ImmutableCredentials GetCredentials() => GetCredentialsAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override Task<ImmutableCredentials> GetCredentialsAsync() => GetCredentialsAsync(CancellationToken.None);

    /// <summary>
    /// Returns the current credentials, and first obtains new ones when none are held or they are within
    /// <see cref="RefreshBefore"/> of their expiry. A failed refresh falls back to the current credentials while
    /// they are still valid.
    /// </summary>
    /// <exception cref="ProviderException">STS rejected the request or could not be reached, and no valid credentials are held.</exception>
    public async Task<ImmutableCredentials> GetCredentialsAsync(CancellationToken cancellationToken)
    {
        Task<Session> refresh;
        Session? current;
        lock (_lock)
        {
            current = _session;
            DateTimeOffset now = _time.GetUtcNow();
            if (current is not null && now < current.RefreshAt)
            {
                return current.Credentials;
            }

            // One refresh for all callers. It runs to its end even when the caller that started it is cancelled,
            // because the callers waiting beside it still need its result.
            _refresh ??= Task.Run(RefreshAsync, CancellationToken.None);
            refresh = _refresh;
        }

        try
        {
            return (await refresh.WaitAsync(cancellationToken).ConfigureAwait(false)).Credentials;
        }
        catch (ProviderException) when (current is not null && _time.GetUtcNow() < current.Expiration)
        {
            // RefreshAsync logged the failure once for all callers.
            return current.Credentials;
        }
    }

    public void Dispose() => _call.Dispose();

    private async Task<Session> RefreshAsync()
    {
        try
        {
            Credentials issued;
            try
            {
                issued = await _call.AssumeAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (ProviderException error) when (Volatile.Read(ref _session) is { } current && _time.GetUtcNow() < current.Expiration)
            {
                LogRefreshFailed(_call.Provider, _call.RoleArn, current.Expiration, error.Message);
                throw;
            }

            DateTimeOffset now = _time.GetUtcNow();
            var expiration = new DateTimeOffset(AsUtc(issued.Expiration ?? now.UtcDateTime));

            // Credentials that live less than twice the margin are replaced at half their lifetime instead.
            TimeSpan lifetime = expiration - now;
            TimeSpan margin = lifetime > RefreshBefore * 2 ? RefreshBefore : lifetime / 2;
            var session = new Session(new ImmutableCredentials(issued.AccessKeyId, issued.SecretAccessKey, issued.SessionToken), expiration, expiration - margin);
            lock (_lock)
            {
                _session = session;
            }

            LogAssumed(_call.Provider, _call.Operation, _call.RoleArn, _call.Endpoint, expiration);
            return session;
        }
        finally
        {
            lock (_lock)
            {
                _refresh = null;
            }
        }
    }

    private static DateTime AsUtc(DateTime time) =>
        time.Kind == DateTimeKind.Local ? time.ToUniversalTime() : DateTime.SpecifyKind(time, DateTimeKind.Utc);

    private sealed record Session(ImmutableCredentials Credentials, DateTimeOffset Expiration, DateTimeOffset RefreshAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Provider {Provider}: {Operation} for role {RoleArn} at {StsEndpoint} returned credentials that expire at {Expiration}")]
    private partial void LogAssumed(string provider, string operation, string roleArn, Uri stsEndpoint, DateTimeOffset expiration);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Provider {Provider}: renewing the credentials of role {RoleArn} failed; the current ones stay in use until they expire at {Expiration}: {Reason}")]
    private partial void LogRefreshFailed(string provider, string roleArn, DateTimeOffset expiration, string reason);
}
