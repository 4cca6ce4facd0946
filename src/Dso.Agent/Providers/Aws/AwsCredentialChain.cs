using System.Globalization;
using Amazon.Runtime;
using Amazon.Runtime.CredentialManagement;
using Amazon.Runtime.Credentials;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Providers.Aws;

/// <summary>
/// Finds the agent's AWS credentials. A profile named in dso.yaml is read from the shared credentials and
/// config files. Otherwise the SDK's default chain is followed: environment variables, the AWS_PROFILE (or
/// default) profile, web identity, ECS container credentials, then the EC2 instance role. The environment,
/// shared-file and web identity steps read their variables through the agent's environment function, so that
/// tests and embedders can supply them without changing the process environment. Web identity and profiles
/// with role_arn obtain a role's credentials from STS through <see cref="AssumedRoleCredentials"/>.
/// </summary>
internal static class AwsCredentialChain
{
    // The range that STS accepts for DurationSeconds; a role's own maximum may be lower.
    private const int MinDurationSeconds = 900;
    private const int MaxDurationSeconds = 43_200;

    /// <summary>
    /// Returns a function that resolves the credentials. It throws <see cref="AmazonClientException"/> when none
    /// are found, and <see cref="ProviderException"/> when a role profile or the web identity variables are unusable.
    /// </summary>
    public static Func<AWSCredentials> Create(string? profile, Func<string, string?> environment, AwsStsSettings sts)
    {
        // One resolver per provider: the SDK's static GetCredentials caches one result for the whole process, and
        // that cache does not notice a change of the container credentials variables.
        var resolver = new Lazy<DefaultAWSCredentialsIdentityResolver>(() => new DefaultAWSCredentialsIdentityResolver());
        return () => Resolve(profile, environment, sts, resolver);
    }

    private static AWSCredentials Resolve(
        string? profile, Func<string, string?> environment, AwsStsSettings sts, Lazy<DefaultAWSCredentialsIdentityResolver> resolver)
    {
        if (profile is not null)
        {
            return ReadingSharedFiles(environment, sts, files => FromProfile(profile, files, environment, sts, [])
                ?? throw new ProviderException(
                    sts.Provider,
                    ProviderErrorKind.Unauthenticated,
                    $"Provider {sts.Provider}: profile {profile} (providers.{sts.Provider}.profile in dso.yaml) was not found in {files.FilePath} or {files.ConfigFilePath}, "
                    + "or it holds no usable credentials. Add the profile to one of these files (AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE move them), or correct the name."));
        }

        if (FromEnvironment(environment) is { } fromEnvironment)
        {
            return fromEnvironment;
        }

        string defaultProfile = environment("AWS_PROFILE") is { Length: > 0 } named ? named : SharedCredentialsFile.DefaultProfileName;
        if (ReadingSharedFiles(environment, sts, files => FromProfile(defaultProfile, files, environment, sts, [])) is { } fromProfile)
        {
            return fromProfile;
        }

        if (FromWebIdentityEnvironment(environment, sts) is { } webIdentity)
        {
            return webIdentity;
        }

        // Container and instance credentials. The SDK reads their settings (AWS_CONTAINER_CREDENTIALS_*,
        // AWS_EC2_METADATA_DISABLED) from the process environment.
        return resolver.Value.ResolveIdentity(clientConfig: null);
    }

    /// <summary>
    /// Runs <paramref name="read"/> on the shared credentials and config files, and turns a file that cannot be read
    /// or parsed into a <see cref="ProviderException"/> that names both files.
    /// </summary>
    private static T ReadingSharedFiles<T>(Func<string, string?> environment, AwsStsSettings sts, Func<SharedCredentialsFile, T> read)
    {
        string credentialsFile = CredentialsFilePath(environment);
        try
        {
            return read(new SharedCredentialsFile(credentialsFile));
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            // The SDK's exception is neither quoted nor kept as the inner exception, because its message can quote a line of the file, and so a key.
            string problem = error switch
            {
                UnauthorizedAccessException => "one of them may not be read by the agent's user (permission denied)",
                InvalidDataException => "one of them is not in the INI format of the AWS shared files",
                _ => "one of them could not be read",
            };
            string configFile = Environment.GetEnvironmentVariable("AWS_CONFIG_FILE") is { Length: > 0 } path
                ? path
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".aws", "config");
            throw new ProviderException(
                sts.Provider,
                ProviderErrorKind.Unauthenticated,
                $"Provider {sts.Provider}: the AWS shared credentials file {credentialsFile} and config file {configFile} could not be used: {problem}. "
                + "Check that both files are readable by the agent's user and hold [NAME] or [profile NAME] sections of key = value lines, "
                + "or point AWS_SHARED_CREDENTIALS_FILE and AWS_CONFIG_FILE at other files.");
        }
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

    private static AssumedRoleCredentials? FromWebIdentityEnvironment(Func<string, string?> environment, AwsStsSettings sts)
    {
        string? tokenFile = NonEmpty(environment("AWS_WEB_IDENTITY_TOKEN_FILE"));
        string? roleArn = NonEmpty(environment("AWS_ROLE_ARN"));
        if (tokenFile is null && roleArn is null)
        {
            return null;
        }

        if (tokenFile is null || roleArn is null)
        {
            (string set, string missing) = tokenFile is null ? ("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE") : ("AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN");
            throw new ProviderException(
                sts.Provider,
                ProviderErrorKind.Unauthenticated,
                $"Provider {sts.Provider}: {set} is set in the agent's environment but {missing} is not, and web identity needs both. "
                + $"Set {missing} in the agent's environment (/etc/dso/agent.env), or remove {set}.");
        }

        string sessionName = NonEmpty(environment("AWS_ROLE_SESSION_NAME")) ?? DefaultSessionName(sts);
        var call = AwsStsCall.WebIdentity(sts, roleArn, tokenFile, sessionName, durationSeconds: null, "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE");
        return new AssumedRoleCredentials(call, sts.Time, sts.LoggerFactory.CreateLogger<AssumedRoleCredentials>());
    }

    // NOTE: the SDK takes the config file's path from the process environment (AWS_CONFIG_FILE), not from the environment function.
    private static AWSCredentials? FromProfile(
        string profile, SharedCredentialsFile files, Func<string, string?> environment, AwsStsSettings sts, HashSet<string> visited)
    {
        if (!files.TryGetProfile(profile, out CredentialProfile? found))
        {
            return null;
        }

        if (!string.IsNullOrEmpty(found.Options.RoleArn))
        {
            return FromRoleProfile(found, files, environment, sts, visited);
        }

        return AWSCredentialsFactory.TryGetAWSCredentials(found, files, out AWSCredentials? credentials) ? credentials : null;
    }

    private static AssumedRoleCredentials FromRoleProfile(
        CredentialProfile profile, SharedCredentialsFile files, Func<string, string?> environment, AwsStsSettings sts, HashSet<string> visited)
    {
        CredentialProfileOptions options = profile.Options;
        string location = $"profile {profile.Name} in {ProfileFile(profile.Name, files)}";
        if (!visited.Add(profile.Name))
        {
            throw Unusable(sts, location, "is part of a source_profile loop", "Point source_profile at a profile with keys.");
        }

        if (!string.IsNullOrEmpty(options.MfaSerial))
        {
            throw Unusable(
                sts,
                location,
                "sets mfa_serial, so assuming its role needs an MFA code that the agent cannot enter unattended",
                "Remove mfa_serial from the profile and drop the MFA condition from the role's trust policy for the agent's identity, or give the agent a profile without MFA.");
        }

        string roleArn = options.RoleArn;
        string sessionName = NonEmpty(options.RoleSessionName) ?? DefaultSessionName(sts);
        int? duration = DurationSeconds(profile, files, sts, location);
        ILogger<AssumedRoleCredentials> logger = sts.LoggerFactory.CreateLogger<AssumedRoleCredentials>();
        if (NonEmpty(options.WebIdentityTokenFile) is { } tokenFile)
        {
            return new AssumedRoleCredentials(AwsStsCall.WebIdentity(sts, roleArn, tokenFile, sessionName, duration, location), sts.Time, logger);
        }

        AWSCredentials source = SourceCredentials(profile, files, environment, sts, visited, location);
        var call = AwsStsCall.AssumeRole(sts, source, roleArn, sessionName, NonEmpty(options.ExternalID), duration, location);
        return new AssumedRoleCredentials(call, sts.Time, logger);
    }

    private static AWSCredentials SourceCredentials(
        CredentialProfile profile, SharedCredentialsFile files, Func<string, string?> environment, AwsStsSettings sts, HashSet<string> visited, string location)
    {
        CredentialProfileOptions options = profile.Options;
        if (NonEmpty(options.CredentialSource) is not null && NonEmpty(options.SourceProfile) is not null)
        {
            throw Unusable(sts, location, "sets both source_profile and credential_source", "Keep the one that should sign AssumeRole and remove the other.");
        }

        if (NonEmpty(options.CredentialSource) is { } credentialSource)
        {
            // The SDK's own clients read the instance metadata and container endpoint settings from the process environment.
            switch (credentialSource.ToUpperInvariant())
            {
                case "ENVIRONMENT":
                    return FromEnvironment(environment) ?? throw Unusable(
                        sts,
                        location,
                        "sets credential_source = Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set in the agent's environment",
                        "Set both in the agent's environment (/etc/dso/agent.env).");
                case "EC2INSTANCEMETADATA":
                    return InstanceRole(sts, location);
                case "ECSCONTAINER":
                    // The SDK's constructor throws an ArgumentException that names neither the profile nor the variables.
                    return ContainerCredentialsConfigured()
                        ? new GenericContainerCredentials()
                        : throw Unusable(
                            sts,
                            location,
                            "sets credential_source = EcsContainer, but neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set in the agent's environment",
                            "Run the agent in an ECS task with a task role, set one of the two variables, or use another credential_source.");
                default:
                    throw Unusable(
                        sts,
                        location,
                        $"sets credential_source = {credentialSource}, which is not one of Environment, Ec2InstanceMetadata and EcsContainer",
                        "Correct the value, or use source_profile with a profile that holds keys.");
            }
        }

        if (NonEmpty(options.SourceProfile) is not { } sourceName)
        {
            throw Unusable(
                sts,
                location,
                "sets role_arn but none of source_profile, credential_source and web_identity_token_file",
                "Add source_profile naming a profile with keys, or web_identity_token_file.");
        }

        // A profile that names itself as its source signs with its own keys.
        if (sourceName == profile.Name)
        {
            return !string.IsNullOrEmpty(options.AccessKey) && !string.IsNullOrEmpty(options.SecretKey)
                ? string.IsNullOrEmpty(options.Token) ? new BasicAWSCredentials(options.AccessKey, options.SecretKey) : new SessionAWSCredentials(options.AccessKey, options.SecretKey, options.Token)
                : throw Unusable(sts, location, "names itself as source_profile but contains no aws_access_key_id and aws_secret_access_key", "Add the keys, or name another profile.");
        }

        return FromProfile(sourceName, files, environment, sts, visited)
            ?? throw Unusable(
                sts,
                location,
                $"names source_profile {sourceName}, which was not found in {files.FilePath} or {files.ConfigFilePath} or contains no usable credentials",
                $"Add a profile {sourceName} with aws_access_key_id and aws_secret_access_key, or correct source_profile.");
    }

    private static int? DurationSeconds(CredentialProfile profile, SharedCredentialsFile files, AwsStsSettings sts, string location)
    {
        // The SDK's profile type has no duration_seconds, so the value is read from the file itself.
        if (SharedFileSetting(files, profile.Name, "duration_seconds") is not { } text)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int seconds) && seconds is >= MinDurationSeconds and <= MaxDurationSeconds
            ? seconds
            : throw Unusable(
                sts,
                location,
                $"sets duration_seconds = {text}, which is not a whole number of seconds from {MinDurationSeconds} to {MaxDurationSeconds}",
                "Correct duration_seconds, or remove it to use the role's default of one hour.");
    }

    /// <summary>Creates the instance role's credentials. The SDK requests the role's name from the metadata service at once.</summary>
    private static InstanceProfileAWSCredentials InstanceRole(AwsStsSettings sts, string location)
    {
        try
        {
            return new InstanceProfileAWSCredentials();
        }
        catch (Exception error) when (error is AmazonClientException or AmazonServiceException or InvalidOperationException or HttpRequestException)
        {
            // Unavailable, so that it is retried, because the metadata service may respond on the next poll.
            throw new ProviderException(
                sts.Provider,
                ProviderErrorKind.Unavailable,
                $"Provider {sts.Provider}: {location} sets credential_source = Ec2InstanceMetadata, but the instance metadata service gave no role ({error.Message}). " +
                "Check that the instance has an IAM role attached and that the agent can reach the metadata service (with IMDSv2 in a container, a hop limit of 2).",
                error);
        }
    }

    // The SDK reads these from the process environment, not from the agent's environment function.
    private static bool ContainerCredentialsConfigured() =>
        !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"))
        || !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("AWS_CONTAINER_CREDENTIALS_FULL_URI"));

    private static ProviderException Unusable(AwsStsSettings sts, string location, string problem, string action) =>
        new(sts.Provider, ProviderErrorKind.Unauthenticated, $"Provider {sts.Provider}: {location} {problem}. {action}");

    /// <summary>Returns the shared file that defines the profile, for messages: the credentials file when it has the section, else the config file.</summary>
    private static string ProfileFile(string profile, SharedCredentialsFile files) =>
        Sections(files.FilePath).ContainsKey(profile) ? files.FilePath : files.ConfigFilePath;

    /// <summary>Returns a profile's setting as the credentials file, else the config file, writes it; null when neither sets it.</summary>
    private static string? SharedFileSetting(SharedCredentialsFile files, string profile, string key)
    {
        if (Sections(files.FilePath).TryGetValue(profile, out Dictionary<string, string>? fromCredentials) && fromCredentials.TryGetValue(key, out string? value))
        {
            return value;
        }

        // The config file names a section "profile NAME", except for the default profile.
        Dictionary<string, Dictionary<string, string>> config = Sections(files.ConfigFilePath);
        return (config.GetValueOrDefault($"profile {profile}") ?? config.GetValueOrDefault(profile))?.GetValueOrDefault(key);
    }

    /// <summary>Reads the sections of an INI-style shared file: "[name]" lines, each followed by "key = value" lines. Comment lines start with # or ;.</summary>
    private static Dictionary<string, Dictionary<string, string>> Sections(string path)
    {
        var sections = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        string[] lines;
        try
        {
            lines = File.Exists(path) ? File.ReadAllLines(path) : [];
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            // The SDK read the file a moment ago and reported its own problems; this read only adds detail.
            return sections;
        }

        Dictionary<string, string>? current = null;
        foreach (string raw in lines)
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] is '#' or ';')
            {
                continue;
            }

            if (line.StartsWith('[') && line.EndsWith(']'))
            {
                string name = line[1..^1].Trim();
                current = sections.TryGetValue(name, out Dictionary<string, string>? existing) ? existing : sections[name] = new(StringComparer.Ordinal);
                continue;
            }

            int equals = line.IndexOf('=', StringComparison.Ordinal);
            if (current is not null && equals > 0)
            {
                current[line[..equals].Trim()] = line[(equals + 1)..].Trim();
            }
        }

        return sections;
    }

    // A session name may hold letters, digits and +=,.@_- (2 to 64 characters); provider names are a subset of those.
    private static string DefaultSessionName(AwsStsSettings sts)
    {
        string name = $"dso-{sts.Provider}-{sts.Time.GetUtcNow().ToUnixTimeSeconds()}";
        return name.Length <= 64 ? name : name[..64];
    }

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    private static string CredentialsFilePath(Func<string, string?> environment) =>
        environment(SharedCredentialsFile.SharedCredentialsFileEnvVar) is { Length: > 0 } path ? path : SharedCredentialsFile.DefaultFilePath;
}
