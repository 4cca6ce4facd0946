namespace Dso.Agent.Providers;

/// <summary>What went wrong with a provider call; decides whether it is retried and what dso provider check reports.</summary>
internal enum ProviderErrorKind
{
    /// <summary>The secret or version does not exist.</summary>
    NotFound,

    /// <summary>The version was deleted or destroyed at the provider.</summary>
    Deleted,

    /// <summary>The credentials are missing, wrong or expired.</summary>
    Unauthenticated,

    /// <summary>The credentials are valid but may not read this secret.</summary>
    AccessDenied,

    /// <summary>The provider asked the caller to slow down (HTTP 429 or a throttling error code). Retried.</summary>
    Throttled,

    /// <summary>The provider or the network failed (connection refused, timeout, HTTP 5xx). Retried.</summary>
    Unavailable,

    /// <summary>The provider answered with something dso cannot use (bad JSON, a missing key, a value too large).</summary>
    Invalid,

    /// <summary>The provider's circuit is open after repeated failures; no call was made.</summary>
    CircuitOpen,
}
