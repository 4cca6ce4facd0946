using Microsoft.Extensions.Logging;

namespace Dso.Agent.Providers.Aws;

/// <summary>What the credential chain needs to assume a role for one provider: the STS endpoint and region, the clock and logging.</summary>
/// <param name="Provider">The provider's name in dso.yaml, for messages and the default role session name.</param>
/// <param name="Region">The region that signs AssumeRole calls.</param>
/// <param name="Endpoint">The STS endpoint: sts_endpoint from dso.yaml, else AWS_ENDPOINT_URL_STS, else the region's STS endpoint.</param>
internal sealed record AwsStsSettings(string Provider, string Region, Uri Endpoint, TimeProvider Time, ILoggerFactory LoggerFactory)
{
    /// <summary>Returns the regional STS endpoint, such as https://sts.eu-central-1.amazonaws.com/, never the global one.</summary>
    public static Uri RegionalEndpoint(string region) =>
        new($"https://sts.{region}.{(region.StartsWith("cn-", StringComparison.Ordinal) ? "amazonaws.com.cn" : "amazonaws.com")}/");
}
