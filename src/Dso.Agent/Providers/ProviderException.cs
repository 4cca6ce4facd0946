using Dso.Core;

namespace Dso.Agent.Providers;

/// <summary>
/// A provider call that failed. The message names the provider, the API path and the status, and never
/// holds a secret value or a credential.
/// </summary>
public sealed class ProviderException : DsoException
{
    public ProviderException()
    {
    }

    public ProviderException(string message)
        : base(message)
    {
    }

    public ProviderException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal ProviderException(string provider, ProviderErrorKind kind, string message)
        : base(message)
    {
        Provider = provider;
        Kind = kind;
    }

    internal ProviderException(string provider, ProviderErrorKind kind, string message, Exception innerException)
        : base(message, innerException)
    {
        Provider = provider;
        Kind = kind;
    }

    /// <summary>The provider's name in dso.yaml.</summary>
    public string Provider { get; } = "";

    internal ProviderErrorKind Kind { get; }

    /// <summary>HTTP status of the failed call, when there was one.</summary>
    public int? StatusCode { get; init; }

    /// <summary>True when waiting and trying again can succeed: throttling and outages.</summary>
    public bool IsTransient => Kind is ProviderErrorKind.Throttled or ProviderErrorKind.Unavailable;
}
