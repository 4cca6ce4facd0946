using System.Text;
using Dso.Agent.Configuration;
using Dso.Agent.Providers;
using Dso.Agent.Providers.Aws;
using Microsoft.Extensions.Time.Testing;

namespace Dso.Agent.Tests.Providers.Aws;

/// <summary>
/// Web identity and role profiles against FakeSts and FakeSecretsManager. The environment is a dictionary, the
/// shared files live in a temporary directory, and sts_endpoint always points at the fake STS.
/// </summary>
public sealed class AwsAssumeRoleTests : IAsyncLifetime, IDisposable
{
    private const string RoleArn = "arn:aws:iam::123456789012:role/dso-reader";
    private const string WebIdentityToken = "eyJhbGciOiJSUzI1NiJ9.dso-test-web-identity-token.c2lnbmF0dXJl";
    private const string SourceAccessKey = "AKIDDSOSOURCE0000001";
    private const string SourceSecretKey = "sourceSecretKey/0123456789+abcdefghijklmnopq";
    private const string SecretValue = "role-secret-value";

    private static readonly ProviderResilienceOptions FastRetries = new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        AttemptTimeout = TimeSpan.FromSeconds(30),
        MaxRetries = 3,
        CircuitMinimumThroughput = 10_000,
    };

    private readonly FakeSecretsManager _secretsManager = new();
    private readonly FakeSts _sts;
    private readonly CapturingLoggerFactory _logs = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("dso-aws-sts-").FullName;
    private readonly Dictionary<string, string> _environment;

    static AwsAssumeRoleTests()
    {
        // Only a safeguard: every test supplies a role, so the SDK's chain never gets as far as instance metadata.
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
    }

    public AwsAssumeRoleTests()
    {
        _sts = new FakeSts(_secretsManager);
        _secretsManager.PutString("db/password", SecretValue);
        _environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            // Keeps the profile steps away from the home directory of the user who runs the tests.
            ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_directory, "no-credentials"),
        };
    }

    private string TokenFile => Path.Combine(_directory, "token");

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        await _sts.DisposeAsync();
        await _secretsManager.DisposeAsync();
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task FetchAsync_WebIdentityEnvironment_AssumesRole()
    {
        UseWebIdentityEnvironment();
        _environment["AWS_ROLE_SESSION_NAME"] = "dso-host-1";
        await using AwsSecretsManagerProvider provider = CreateProvider();

        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        Assert.Equal(SecretValue, Encoding.UTF8.GetString(payload.Value));
        FakeSts.StsRequest request = Assert.Single(_sts.Requests);
        Assert.Equal("AssumeRoleWithWebIdentity", request.Action);
        Assert.Equal(FakeSts.Version, request.Fields["Version"]);
        Assert.Equal(RoleArn, request.Fields["RoleArn"]);
        Assert.Equal("dso-host-1", request.Fields["RoleSessionName"]);
        Assert.Equal(WebIdentityToken, request.Fields["WebIdentityToken"]);
        Assert.False(request.Signed);
        Assert.Contains(_logs.Lines, line => line.Contains($"AssumeRoleWithWebIdentity for role {RoleArn} at {_sts.Endpoint}", StringComparison.Ordinal));
        AssertNoCredentialIn(_logs.Lines);
    }

    [Fact]
    public async Task FetchAsync_NoSessionName_UsesProviderName()
    {
        UseWebIdentityEnvironment();
        await using AwsSecretsManagerProvider provider = CreateProvider();

        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        Assert.StartsWith("dso-aws_main-", _sts.Requests.Single().Fields["RoleSessionName"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_RoleProfile_SignsWithSourceKeys()
    {
        _sts.AddSourceCredentials(SourceAccessKey, SourceSecretKey);
        _sts.TrustAssumeRole(RoleArn, SourceAccessKey, externalId: "dso-external-7");
        WriteCredentialsFile($"""
            [base]
            aws_access_key_id = {SourceAccessKey}
            aws_secret_access_key = {SourceSecretKey}

            [reader]
            role_arn = {RoleArn}
            source_profile = base
            external_id = dso-external-7
            role_session_name = dso-reader-session
            duration_seconds = 1800
            """);
        await using AwsSecretsManagerProvider provider = CreateProvider(profile: "reader");

        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        Assert.Equal(SecretValue, Encoding.UTF8.GetString(payload.Value));
        FakeSts.StsRequest request = Assert.Single(_sts.Requests);
        Assert.Equal("AssumeRole", request.Action);
        Assert.True(request.Signed);
        Assert.Equal(SourceAccessKey, request.AccessKey);
        Assert.Equal(RoleArn, request.Fields["RoleArn"]);
        Assert.Equal("dso-external-7", request.Fields["ExternalId"]);
        Assert.Equal("dso-reader-session", request.Fields["RoleSessionName"]);
        Assert.Equal("1800", request.Fields["DurationSeconds"]);
        AssertNoCredentialIn(_logs.Lines);
    }

    [Fact]
    public async Task FetchAsync_ChainedRoleProfiles_AssumeInOrder()
    {
        const string middleRole = "arn:aws:iam::123456789012:role/dso-jump";
        _sts.AddSourceCredentials(SourceAccessKey, SourceSecretKey);
        _sts.TrustAssumeRole(middleRole, SourceAccessKey);
        _sts.TrustAssumeRole(RoleArn, "ASIADSOSTS0000000001");
        WriteCredentialsFile($"""
            [base]
            aws_access_key_id = {SourceAccessKey}
            aws_secret_access_key = {SourceSecretKey}

            [jump]
            role_arn = {middleRole}
            source_profile = base

            [reader]
            role_arn = {RoleArn}
            source_profile = jump
            """);
        await using AwsSecretsManagerProvider provider = CreateProvider(profile: "reader");

        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        FakeSts.StsRequest[] requests = _sts.Requests.ToArray();
        Assert.Equal(2, requests.Length);
        Assert.Equal(middleRole, requests[0].Fields["RoleArn"]);
        Assert.Equal(SourceAccessKey, requests[0].AccessKey);
        Assert.Equal(RoleArn, requests[1].Fields["RoleArn"]);
        Assert.Equal("ASIADSOSTS0000000001", requests[1].AccessKey);
        Assert.Equal(SecretValue, Encoding.UTF8.GetString(payload.Value));
    }

    [Fact]
    public async Task FetchAsync_WrongExternalId_AccessDenied()
    {
        _sts.AddSourceCredentials(SourceAccessKey, SourceSecretKey);
        _sts.TrustAssumeRole(RoleArn, SourceAccessKey, externalId: "the-right-one");
        WriteRoleProfile("external_id = a-wrong-one");
        await using AwsSecretsManagerProvider provider = CreateProvider(profile: "reader");

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Contains("AssumeRole", error.Message, StringComparison.Ordinal);
        Assert.Contains("AccessDenied", error.Message, StringComparison.Ordinal);
        Assert.Contains("external id", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _sts.CountOf("AssumeRole"));
    }

    [Fact]
    public async Task FetchAsync_DefaultProfileAssumesRole_UsesIt()
    {
        _sts.AddSourceCredentials(SourceAccessKey, SourceSecretKey);
        _sts.TrustAssumeRole(RoleArn, SourceAccessKey);
        WriteCredentialsFile($"""
            [default]
            role_arn = {RoleArn}
            source_profile = base

            [base]
            aws_access_key_id = {SourceAccessKey}
            aws_secret_access_key = {SourceSecretKey}
            """);
        await using AwsSecretsManagerProvider provider = CreateProvider();

        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        Assert.Equal(SecretValue, Encoding.UTF8.GetString(payload.Value));
        Assert.Equal(1, _sts.CountOf("AssumeRole"));
    }

    [Fact]
    public async Task FetchAsync_WebIdentityProfile_ReadsTokenFile()
    {
        _sts.TrustWebIdentity(RoleArn, WebIdentityToken);
        await File.WriteAllTextAsync(TokenFile, WebIdentityToken + "\n");
        WriteCredentialsFile($"""
            [federated]
            role_arn = {RoleArn}
            web_identity_token_file = {TokenFile}
            role_session_name = from-profile
            """);
        await using AwsSecretsManagerProvider provider = CreateProvider(profile: "federated");

        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        FakeSts.StsRequest request = Assert.Single(_sts.Requests);
        Assert.Equal("AssumeRoleWithWebIdentity", request.Action);
        Assert.Equal(WebIdentityToken, request.Fields["WebIdentityToken"]);
        Assert.Equal("from-profile", request.Fields["RoleSessionName"]);
    }

    [Fact]
    public async Task FetchAsync_NearExpiry_AssumesAgainOnce()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _sts.Clock = clock;
        _secretsManager.Clock = clock;
        UseWebIdentityEnvironment();
        await using AwsSecretsManagerProvider provider = CreateProvider(time: clock);

        (await provider.FetchAsync("db/password", null, CancellationToken.None)).Dispose();
        clock.Advance(TimeSpan.FromMinutes(54));
        (await provider.FetchAsync("db/password", null, CancellationToken.None)).Dispose();
        int beforeRefreshPoint = _sts.Requests.Count;
        clock.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(1));
        (await provider.FetchAsync("db/password", null, CancellationToken.None)).Dispose();
        (await provider.FetchAsync("db/password", null, CancellationToken.None)).Dispose();

        Assert.Equal(1, beforeRefreshPoint);
        Assert.Equal(2, _sts.Requests.Count);
        string[] signedWith = _secretsManager.Requests.Select(request => request.Operation).ToArray();
        Assert.Equal(4, signedWith.Length);
    }

    [Fact]
    public async Task FetchAsync_ConcurrentCallers_AssumeOnce()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _sts.Clock = clock;
        _secretsManager.Clock = clock;
        UseWebIdentityEnvironment();
        await using AwsSecretsManagerProvider provider = CreateProvider(time: clock);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _sts.Gate = gate.Task;

        Task<SecretPayload>[] first = Enumerable.Range(0, 6).Select(_ => provider.FetchAsync("db/password", null, CancellationToken.None)).ToArray();
        await _sts.FirstRequest.Task.WaitAsync(TimeSpan.FromSeconds(30));
        gate.SetResult();
        foreach (SecretPayload payload in await Task.WhenAll(first))
        {
            payload.Dispose();
        }

        clock.Advance(TimeSpan.FromMinutes(56));
        Task<SecretPayload>[] second = Enumerable.Range(0, 6).Select(_ => provider.FetchAsync("db/password", null, CancellationToken.None)).ToArray();
        foreach (SecretPayload payload in await Task.WhenAll(second))
        {
            payload.Dispose();
        }

        Assert.Equal(2, _sts.CountOf("AssumeRoleWithWebIdentity"));
        Assert.Equal(12, _secretsManager.CountOf("GetSecretValue"));
    }

    [Fact]
    public async Task FetchAsync_RefreshFails_KeepsValidCredentials()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        _sts.Clock = clock;
        _secretsManager.Clock = clock;
        UseWebIdentityEnvironment();
        await using AwsSecretsManagerProvider provider = CreateProvider(time: clock);
        (await provider.FetchAsync("db/password", null, CancellationToken.None)).Dispose();

        clock.Advance(TimeSpan.FromMinutes(57));
        _sts.FailNext(1, 403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");
        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        Assert.Equal(SecretValue, Encoding.UTF8.GetString(payload.Value));
        Assert.Equal(2, _sts.Requests.Count);
        Assert.Contains(_logs.Lines, line => line.StartsWith("Warning", StringComparison.Ordinal) && line.Contains("renewing the credentials of role", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity", "trust policy allows sts:AssumeRoleWithWebIdentity")]
    [InlineData(400, "InvalidIdentityToken", "The token eyJhbGciOiJSUzI1NiJ9.dso-test-web-identity-token.c2lnbmF0dXJl could not be validated", "IAM OIDC provider")]
    [InlineData(400, "ExpiredTokenException", "Token expired: current date/time is later than the token's exp", "renews it")]
    [InlineData(403, "RegionDisabledException", "STS is not activated in this region for account 123456789012", "activate it")]
    public async Task FetchAsync_StsRejects_ClearErrorWithoutRetry(int status, string code, string message, string advice)
    {
        UseWebIdentityEnvironment();
        _sts.FailNext(10, status, code, message);
        await using AwsSecretsManagerProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.False(error.IsTransient);
        Assert.Equal(status, error.StatusCode);
        Assert.Contains("Provider aws_main", error.Message, StringComparison.Ordinal);
        Assert.Contains(RoleArn, error.Message, StringComparison.Ordinal);
        Assert.Contains(_sts.Endpoint.ToString(), error.Message, StringComparison.Ordinal);
        Assert.Contains($"HTTP {status} {code}", error.Message, StringComparison.Ordinal);
        Assert.Contains(advice, error.Message, StringComparison.Ordinal);
        Assert.Single(_sts.Requests);
        Assert.Empty(_secretsManager.Requests);
        Assert.False(provider.Health.IsHealthy);
        AssertNoCredentialIn([error.ToString(), .. _logs.Lines]);
    }

    [Theory]
    [InlineData("<html><body>Proxy login required</body></html>")]
    [InlineData("<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>ASIAPARTIAL</AccessKeyId><SecretAccessKey>partialSecret/key")]
    public async Task FetchAsync_NotAnStsResponse_Invalid(string body)
    {
        UseWebIdentityEnvironment();
        _sts.ReplyNext(200, body);
        await using AwsSecretsManagerProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Invalid, error.Kind);
        Assert.Contains($"at {_sts.Endpoint}", error.Message, StringComparison.Ordinal);
        Assert.Contains("Check that the STS endpoint is STS", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("partialSecret/key", error.ToString(), StringComparison.Ordinal);
        Assert.All(_logs.Lines, line => Assert.DoesNotContain("partialSecret/key", line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task FetchAsync_StsUnavailable_Retried()
    {
        UseWebIdentityEnvironment();
        _sts.FailNext(2, 503, "ServiceUnavailable", "Service is unavailable");
        await using AwsSecretsManagerProvider provider = CreateProvider();

        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        Assert.Equal(SecretValue, Encoding.UTF8.GetString(payload.Value));
        Assert.Equal(3, _sts.Requests.Count);
    }

    [Fact]
    public async Task FetchAsync_StsUnreachable_NamesEndpoint()
    {
        UseWebIdentityEnvironment();
        Uri closed;
        await using (var stopped = new FakeSts(_secretsManager))
        {
            closed = stopped.Endpoint;
        }

        await using AwsSecretsManagerProvider provider = CreateProvider(stsEndpoint: closed, options: FastRetries with { MaxRetries = 1 });

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unavailable, error.Kind);
        Assert.Contains($"could not reach {closed}", error.Message, StringComparison.Ordinal);
        Assert.Contains(RoleArn, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_MissingTokenFile_NamesFile()
    {
        _environment["AWS_ROLE_ARN"] = RoleArn;
        _environment["AWS_WEB_IDENTITY_TOKEN_FILE"] = TokenFile;
        await using AwsSecretsManagerProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Contains($"web identity token file {TokenFile}", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.Empty(_sts.Requests);
    }

    [Theory]
    [InlineData("huge")]
    [InlineData("directory")]
    [InlineData("/dev/zero")]
    public async Task FetchAsync_TokenPathNotAToken_ClearError(string kind)
    {
        string path = kind switch
        {
            "huge" => TokenFile,
            "directory" => _directory,
            _ => kind,
        };
        if (kind == "huge")
        {
            File.WriteAllText(TokenFile, new string('a', AwsStsCall.MaxTokenFileBytes + 1));
        }

        _environment["AWS_ROLE_ARN"] = RoleArn;
        _environment["AWS_WEB_IDENTITY_TOKEN_FILE"] = path;
        await using AwsSecretsManagerProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Contains($"web identity token file {path}", error.Message, StringComparison.Ordinal);
        Assert.Contains(kind == "directory" ? "is a directory, not a file" : "holds more than 64 KiB", error.Message, StringComparison.Ordinal);
        Assert.Empty(_sts.Requests);
    }

    [Fact]
    public async Task FetchAsync_UntrustedStsCertificate_NamesCause()
    {
        // Any HTTPS server whose certificate this host does not trust will do: the Key Vault fake has a self-signed one.
        await using Azure.KeyVaultTestServer untrusted = await Azure.KeyVaultTestServer.StartAsync(_directory);
        UseWebIdentityEnvironment();
        await using AwsSecretsManagerProvider provider = CreateProvider(stsEndpoint: new Uri(untrusted.BaseUrl));

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unavailable, error.Kind);
        Assert.Contains("The SSL connection could not be established: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("certificate", error.Message[error.Message.IndexOf("established", StringComparison.Ordinal)..], StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("see inner exception", error.Message, StringComparison.Ordinal);
        Assert.Contains("signed by a CA in the system's trust store", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_NoTokenFileVariable_NamesIt()
    {
        _environment["AWS_ROLE_ARN"] = RoleArn;
        await using AwsSecretsManagerProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Contains("AWS_WEB_IDENTITY_TOKEN_FILE is not", error.Message, StringComparison.Ordinal);
        Assert.Empty(_sts.Requests);
    }

    [Fact]
    public async Task FetchAsync_MfaProfile_ClearError()
    {
        WriteRoleProfile("mfa_serial = arn:aws:iam::123456789012:mfa/operator");
        await using AwsSecretsManagerProvider provider = CreateProvider(profile: "reader");

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Contains($"profile reader in {CredentialsFile}", error.Message, StringComparison.Ordinal);
        Assert.Contains("mfa_serial", error.Message, StringComparison.Ordinal);
        Assert.Contains("Remove mfa_serial", error.Message, StringComparison.Ordinal);
        Assert.Empty(_sts.Requests);
    }

    [Fact]
    public async Task FetchAsync_UnknownCredentialSource_ClearError()
    {
        WriteCredentialsFile($"""
            [reader]
            role_arn = {RoleArn}
            credential_source = InstanceMetadata
            """);
        await using AwsSecretsManagerProvider provider = CreateProvider(profile: "reader");

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Contains($"profile reader in {CredentialsFile}", error.Message, StringComparison.Ordinal);
        Assert.Contains("credential_source = InstanceMetadata, which is not one of Environment, Ec2InstanceMetadata and EcsContainer", error.Message, StringComparison.Ordinal);
        Assert.Empty(_sts.Requests);
    }

    [Fact]
    public async Task FetchAsync_MalformedCredentials_NamesFile()
    {
        WriteCredentialsFile($"""
            [base
            aws_access_key_id = {SourceAccessKey}
            aws_secret_access_key = {SourceSecretKey}
            """);
        await using AwsSecretsManagerProvider provider = CreateProvider(profile: "base");

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Contains($"Provider aws_main: the AWS shared credentials file {CredentialsFile} and config file ", error.Message, StringComparison.Ordinal);
        Assert.Contains("not in the INI format", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(SourceSecretKey, error.ToString(), StringComparison.Ordinal);
        Assert.Empty(_secretsManager.Requests);
    }

    [Fact]
    public async Task FetchAsync_TwoSources_ClearError()
    {
        WriteCredentialsFile($"""
            [base]
            aws_access_key_id = {SourceAccessKey}
            aws_secret_access_key = {SourceSecretKey}

            [reader]
            role_arn = {RoleArn}
            source_profile = base
            credential_source = Environment
            """);
        await using AwsSecretsManagerProvider provider = CreateProvider(profile: "reader");

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Contains($"profile reader in {CredentialsFile} sets both source_profile and credential_source", error.Message, StringComparison.Ordinal);
        Assert.Empty(_sts.Requests);
    }

    [Fact]
    public async Task FetchAsync_MissingProfile_NamesFiles()
    {
        WriteCredentialsFile("""
            [other]
            aws_access_key_id = AKIDOTHER
            aws_secret_access_key = other-secret
            """);
        await using AwsSecretsManagerProvider provider = CreateProvider(profile: "ghost");

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Contains($"profile ghost (providers.aws_main.profile in dso.yaml) was not found in {CredentialsFile}", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("name a profile with", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("other-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_EnvironmentSource_SignsWithItsKeys()
    {
        _sts.AddSourceCredentials(SourceAccessKey, SourceSecretKey);
        _sts.TrustAssumeRole(RoleArn, SourceAccessKey);
        WriteCredentialsFile($"""
            [reader]
            role_arn = {RoleArn}
            credential_source = Environment
            """);
        _environment["AWS_ACCESS_KEY_ID"] = SourceAccessKey;
        _environment["AWS_SECRET_ACCESS_KEY"] = SourceSecretKey;
        await using AwsSecretsManagerProvider provider = CreateProvider(profile: "reader");

        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        Assert.Equal(SourceAccessKey, _sts.Requests.Single().AccessKey);
    }

    [Fact]
    public async Task FetchAsync_SourceProfileLoop_ClearError()
    {
        WriteCredentialsFile($"""
            [a]
            role_arn = {RoleArn}
            source_profile = b

            [b]
            role_arn = {RoleArn}
            source_profile = a
            """);
        await using AwsSecretsManagerProvider provider = CreateProvider(profile: "a");

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Contains("source_profile loop", error.Message, StringComparison.Ordinal);
        Assert.Empty(_sts.Requests);
    }

    [Fact]
    public async Task FetchAsync_BadDurationSeconds_ClearError()
    {
        WriteRoleProfile("duration_seconds = 60");
        await using AwsSecretsManagerProvider provider = CreateProvider(profile: "reader");

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Contains("duration_seconds = 60", error.Message, StringComparison.Ordinal);
        Assert.Empty(_sts.Requests);
    }

    [Fact]
    public async Task Create_StsEndpointFromEnvironment_UsedWithoutConfig()
    {
        _environment["AWS_ENDPOINT_URL_STS"] = _sts.Endpoint.ToString();
        UseWebIdentityEnvironment();
        var config = new AwsProviderConfig { Name = "aws_main", Region = FakeSecretsManager.Region, Endpoint = _secretsManager.Endpoint };

        await using var provider = new AwsSecretsManagerProvider(config, Context(TimeProvider.System));
        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        Assert.Equal(_sts.Endpoint, provider.StsEndpoint);
        Assert.Single(_sts.Requests);
    }

    [Fact]
    public void Create_HttpStsEndpointFromEnvironment_ThrowsInvalid()
    {
        _environment["AWS_ENDPOINT_URL_STS"] = "http://sts.example.com/";
        var config = new AwsProviderConfig { Name = "aws_main", Region = FakeSecretsManager.Region };

        ProviderException error = Assert.Throws<ProviderException>(() => new AwsSecretsManagerProvider(config, Context(TimeProvider.System)));

        Assert.Equal(ProviderErrorKind.Invalid, error.Kind);
        Assert.Contains("AWS_ENDPOINT_URL_STS", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eu-central-1", "https://sts.eu-central-1.amazonaws.com/")]
    [InlineData("us-east-1", "https://sts.us-east-1.amazonaws.com/")]
    [InlineData("cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn/")]
    public async Task Create_NoStsEndpoint_UsesRegionalEndpoint(string region, string expected)
    {
        var config = new AwsProviderConfig { Name = "aws_main", Region = region };

        await using var provider = new AwsSecretsManagerProvider(config, Context(TimeProvider.System));

        Assert.Equal(new Uri(expected), provider.StsEndpoint);
    }

    private string CredentialsFile => Path.Combine(_directory, "credentials");

    private void UseWebIdentityEnvironment()
    {
        _sts.TrustWebIdentity(RoleArn, WebIdentityToken);
        File.WriteAllText(TokenFile, WebIdentityToken);
        _environment["AWS_WEB_IDENTITY_TOKEN_FILE"] = TokenFile;
        _environment["AWS_ROLE_ARN"] = RoleArn;
    }

    private void WriteCredentialsFile(string text)
    {
        File.WriteAllText(CredentialsFile, text);
        _environment["AWS_SHARED_CREDENTIALS_FILE"] = CredentialsFile;
    }

    private void WriteRoleProfile(string extraLine) =>
        WriteCredentialsFile($"""
            [base]
            aws_access_key_id = {SourceAccessKey}
            aws_secret_access_key = {SourceSecretKey}

            [reader]
            role_arn = {RoleArn}
            source_profile = base
            {extraLine}
            """);

    private void AssertNoCredentialIn(IEnumerable<string> texts)
    {
        string[] all = texts.ToArray();
        Assert.NotEmpty(all);
        string[] secrets = [WebIdentityToken, SourceSecretKey, SecretValue, .. _sts.Issued.SelectMany(issued => new[] { issued.SecretKey, issued.Token })];
        foreach (string text in all)
        {
            foreach (string secret in secrets)
            {
                Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
            }
        }
    }

    private ProviderContext Context(TimeProvider time) => new(time, _logs, name => _environment.GetValueOrDefault(name));

    private AwsSecretsManagerProvider CreateProvider(
        string? profile = null, TimeProvider? time = null, Uri? stsEndpoint = null, ProviderResilienceOptions? options = null)
    {
        var config = new AwsProviderConfig
        {
            Name = "aws_main",
            Region = FakeSecretsManager.Region,
            Endpoint = _secretsManager.Endpoint,
            StsEndpoint = stsEndpoint ?? _sts.Endpoint,
            Profile = profile,
        };
        return new AwsSecretsManagerProvider(config, Context(time ?? TimeProvider.System), options ?? FastRetries, credentials: null, handler: null);
    }
}
