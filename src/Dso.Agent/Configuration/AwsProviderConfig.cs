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
}
