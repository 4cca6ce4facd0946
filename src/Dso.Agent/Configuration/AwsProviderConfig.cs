using System.Diagnostics.CodeAnalysis;

namespace Dso.Agent.Configuration;

/// <summary>
/// AWS Secrets Manager. Credentials come from the AWS credential chain (environment, profile, web identity,
/// instance role). The record contains no credential, so its generated ToString shows none.
/// </summary>
internal sealed record AwsProviderConfig : ProviderConfig
{
    public override ProviderType Type => ProviderType.Aws;

    /// <summary>The region code, or null to take AWS_REGION, then AWS_DEFAULT_REGION, from the agent's environment.</summary>
    public string? Region { get; init; }

    /// <summary>A different service endpoint, such as a VPC endpoint, or null for the region's public one.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>A named profile of the shared AWS config files, or null for the default chain.</summary>
    public string? Profile { get; init; }

    /// <summary>
    /// The STS endpoint for web identity and role profiles, such as a VPC endpoint, or null for
    /// AWS_ENDPOINT_URL_STS, else the region's STS endpoint.
    /// </summary>
    public Uri? StsEndpoint { get; init; }

    /// <summary>
    /// Checks a Secrets Manager or STS endpoint: an https URL, or an http URL on a loopback address
    /// (127.0.0.0/8, [::1]) or localhost, without user information. Both return secrets or credentials, so these
    /// may cross the network only encrypted.
    /// </summary>
    public static bool IsAllowedEndpoint(string value, [NotNullWhen(true)] out Uri? endpoint)
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
