using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;

namespace Dso.Agent.Providers.Aws;

/// <summary>
/// Finds the agent's AWS credentials. A profile named in dso.yaml is read from the shared credentials and
/// config files. Otherwise the SDK's default chain is followed: environment variables, the AWS_PROFILE (or
/// default) profile, web identity, ECS container credentials, then the EC2 instance role. The environment
/// and shared-file steps read their variables through the agent's environment function, so that tests and
/// embedders can supply them without changing the process environment.
/// </summary>
internal static class AwsCredentialChain
{
    /// <summary>Returns a function that resolves the credentials and throws <see cref="AmazonClientException"/> when none are found.</summary>
    public static Func<AWSCredentials> Create(string? profile, Func<string, string?> environment)
    {
        // One resolver per provider: the SDK's static GetCredentials caches one result for the whole process, and
        // that cache does not notice a change of the container credentials variables.
        var resolver = new Lazy<DefaultAWSCredentialsIdentityResolver>(() => new DefaultAWSCredentialsIdentityResolver());
        return () => Resolve(profile, environment, resolver);
    }

    private static AWSCredentials Resolve(string? profile, Func<string, string?> environment, Lazy<DefaultAWSCredentialsIdentityResolver> resolver)
    {
        if (profile is not null)
        {
            var files = new SharedCredentialsFile(CredentialsFilePath(environment));
            return FromProfile(profile, files)
                ?? throw new AmazonClientException(
                    $"profile {profile} was not found in {files.FilePath} or {files.ConfigFilePath}, or it holds no usable credentials");
        }

        if (FromEnvironment(environment) is { } fromEnvironment)
        {
            return fromEnvironment;
        }

        string defaultProfile = environment("AWS_PROFILE") is { Length: > 0 } named ? named : SharedCredentialsFile.DefaultProfileName;
        if (FromProfile(defaultProfile, new SharedCredentialsFile(CredentialsFilePath(environment))) is { } fromProfile)
        {
            return fromProfile;
        }

        // Web identity, container and instance credentials. The SDK reads their settings
        // (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_CONTAINER_CREDENTIALS_*, AWS_EC2_METADATA_DISABLED) from the process environment.
        // NOTE: web identity and role-assuming profiles need the STS client of AWSSDK.SecurityToken, which dso does not
        // reference. They fail here with the SDK's message until that client is registered with GlobalRuntimeDependencyRegistry.
        return resolver.Value.ResolveIdentity(clientConfig: null);
    }

    private static AWSCredentials? FromEnvironment(Func<string, string?> environment)
    {
        string? accessKey = environment("AWS_ACCESS_KEY_ID");
        string? secretKey = environment("AWS_SECRET_ACCESS_KEY");
        if (string.IsNullOrEmpty(accessKey) || string.IsNullOrEmpty(secretKey))
        {
            return null;
        }

        return environment("AWS_SESSION_TOKEN") is { Length: > 0 } token
            ? new SessionAWSCredentials(accessKey, secretKey, token)
            : new BasicAWSCredentials(accessKey, secretKey);
    }

    // NOTE: the SDK takes the config file's path from the process environment (AWS_CONFIG_FILE), not from the environment function.
    private static AWSCredentials? FromProfile(string profile, SharedCredentialsFile files) =>
        files.TryGetProfile(profile, out CredentialProfile? found)
            && AWSCredentialsFactory.TryGetAWSCredentials(found, files, out AWSCredentials? credentials)
                ? credentials
                : null;

    private static string CredentialsFilePath(Func<string, string?> environment) =>
        environment(SharedCredentialsFile.SharedCredentialsFileEnvVar) is { Length: > 0 } path ? path : SharedCredentialsFile.DefaultFilePath;
}
