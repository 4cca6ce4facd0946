using System.Diagnostics.CodeAnalysis;

namespace Dso.Agent.Configuration;

/// <summary>
/// The rule for provider endpoints that return secrets or credentials (Vault, Secrets Manager, STS): https, or
/// http only on a loopback address (127.0.0.0/8, [::1]) or localhost, never with user information. Secret values
/// and tokens may cross the network only encrypted.
/// </summary>
internal static class ProviderEndpoints
{
    public const string Rule = "http only on a loopback address or localhost";

    public static bool IsAllowed(string value, [NotNullWhen(true)] out Uri? endpoint)
    {
        endpoint = null;
        if (!Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) || uri.Host.Length == 0 || uri.UserInfo.Length > 0)
        {
            return false;
        }

        bool allowed = uri.Scheme == Uri.UriSchemeHttps
            || (uri.Scheme == Uri.UriSchemeHttp && (uri.IsLoopback && uri.HostNameType != UriHostNameType.Dns || uri.Host == "localhost"));
        endpoint = allowed ? uri : null;
        return allowed;
    }
}
