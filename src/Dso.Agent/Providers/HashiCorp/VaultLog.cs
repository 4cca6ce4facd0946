using Microsoft.Extensions.Logging;

namespace Dso.Agent.Providers.HashiCorp;

/// <summary>The log events of the Vault provider. Messages carry ids, paths, durations and reasons, never a token or a value.</summary>
internal static partial class VaultLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Warning, Message = "Provider {Provider}: tls_skip_verify is true, so any certificate presented by {Address} is accepted and the connection can be intercepted. Use ca_file instead outside tests.")]
    public static partial void TlsVerificationDisabled(ILogger logger, string provider, Uri address);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Provider {Provider}: logged in with AppRole at auth/{Mount}; the token's lease is {LeaseSeconds} s, renewable: {Renewable}")]
    public static partial void LoggedIn(ILogger logger, string provider, string mount, long leaseSeconds, bool renewable);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Information, Message = "Provider {Provider}: the configured token is valid; time to live {TtlSeconds} s (0 means no expiry), renewable: {Renewable}")]
    public static partial void TokenLookedUp(ILogger logger, string provider, long ttlSeconds, bool renewable);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Debug, Message = "Provider {Provider}: renewed the token; new lease {LeaseSeconds} s")]
    public static partial void TokenRenewed(ILogger logger, string provider, long leaseSeconds);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Warning, Message = "Provider {Provider}: token renewal failed: {Reason}")]
    public static partial void RenewalFailed(ILogger logger, string provider, string reason);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "Provider {Provider}: the token cannot be renewed further and expires at {ExpiresAt:u}. Give the agent a new token (auth.token) and restart it before then.")]
    public static partial void TokenExpiring(ILogger logger, string provider, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Error, Message = "Provider {Provider}: authentication failed; calls fail at once until the next attempt at {RetryAt:u}. {Reason}")]
    public static partial void AuthenticationFailed(ILogger logger, string provider, DateTimeOffset retryAt, string reason);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Information, Message = "Provider {Provider}: authentication works again")]
    public static partial void AuthenticationRecovered(ILogger logger, string provider);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Information, Message = "Provider {Provider}: mount {Mount} is a KV version {Version} engine")]
    public static partial void KvVersionDetected(ILogger logger, string provider, string mount, int version);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Warning, Message = "Provider {Provider}: could not read the version of mount {Mount}, so KV version 2 is assumed; set kv_version to 1 or 2 to skip this check. {Reason}")]
    public static partial void KvVersionUnknown(ILogger logger, string provider, string mount, string reason);
}
