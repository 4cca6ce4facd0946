using System.Text;
using Dso.Agent.Configuration;
using Dso.Agent.Providers;
using Dso.Agent.Providers.Aws;

namespace Dso.Agent.Tests.Providers.Aws;

public sealed class AwsSecretsManagerProviderTests : IAsyncLifetime, IDisposable
{
    private const string AccessKey = "AKIDDSOTEST000000001";
    private const string SecretKey = "dsoTestSecretKey/0123456789+abcdefghijklmno";
    private const string SessionToken = "dsoTestSessionToken/zyxwvutsrqponmlkjihgfedcba0123456789+AAAA";
    private const string SecretValue = "s3cr3t-value-for-tests";

    private static readonly ProviderResilienceOptions FastRetries = new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        AttemptTimeout = TimeSpan.FromSeconds(10),
        MaxRetries = 3,
        CircuitMinimumThroughput = 10_000,
    };

    private readonly FakeSecretsManager _server = new();
    private readonly CapturingLoggerFactory _logs = new();
    private readonly string _directory = Directory.CreateTempSubdirectory("dso-aws-").FullName;
    private readonly Dictionary<string, string> _environment;

    static AwsSecretsManagerProviderTests()
    {
        // Only a safeguard: every test supplies credentials, so the SDK's chain never gets as far as instance metadata.
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
    }

    public AwsSecretsManagerProviderTests()
    {
        _server.AddCredentials(AccessKey, SecretKey);
        _environment = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["AWS_ACCESS_KEY_ID"] = AccessKey,
            ["AWS_SECRET_ACCESS_KEY"] = SecretKey,

            // Keeps the profile step away from the home directory of the user who runs the tests.
            ["AWS_SHARED_CREDENTIALS_FILE"] = Path.Combine(_directory, "no-credentials"),
        };
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task FetchAsync_StringSecret_ReturnsUtf8Text()
    {
        string versionId = _server.PutString("db/password", SecretValue);
        await using AwsSecretsManagerProvider provider = CreateProvider();

        using SecretPayload payload = await provider.FetchAsync("db/password", versionId: null, CancellationToken.None);

        Assert.True(payload.IsText);
        Assert.Equal(versionId, payload.VersionId);
        Assert.Equal(SecretValue, Encoding.UTF8.GetString(payload.Value));
    }

    [Fact]
    public async Task FetchAsync_JsonSecret_ReturnsExactText()
    {
        // Quotes, a newline and non-ASCII text reach the wire escaped, and must come back as the original bytes.
        const string json = "{\"username\":\"app\",\"password\":\"p\\\"w\\n\u00e4\u20ac \u00e9\"}\n";
        _server.PutString("db/credentials", json);
        await using AwsSecretsManagerProvider provider = CreateProvider();

        using SecretPayload payload = await provider.FetchAsync("db/credentials", versionId: null, CancellationToken.None);

        Assert.True(payload.IsText);
        Assert.Equal(Encoding.UTF8.GetBytes(json), payload.Value);
    }

    [Fact]
    public async Task FetchAsync_BinarySecret_ReturnsDecodedBytes()
    {
        byte[] value = [0x00, 0xff, 0x10, 0x80, 0x0a, 0x7f];
        string versionId = _server.PutBinary("tls/key", value);
        await using AwsSecretsManagerProvider provider = CreateProvider();

        using SecretPayload payload = await provider.FetchAsync("tls/key", versionId: null, CancellationToken.None);

        Assert.False(payload.IsText);
        Assert.Equal(versionId, payload.VersionId);
        Assert.Equal(value, payload.Value);
    }

    [Fact]
    public async Task FetchAsync_VersionId_ReturnsThatVersion()
    {
        string first = _server.PutString("api/token", "first");
        _server.PutString("api/token", "second");
        await using AwsSecretsManagerProvider provider = CreateProvider();

        using SecretPayload payload = await provider.FetchAsync("api/token", first, CancellationToken.None);

        Assert.Equal(first, payload.VersionId);
        Assert.Equal("first", Encoding.UTF8.GetString(payload.Value));
        Assert.Equal(first, _server.Requests.Single().Body["VersionId"]!.GetValue<string>());
    }

    [Fact]
    public async Task FetchAsync_PendingStage_ReturnsPendingVersion()
    {
        _server.PutString("api/token", "current");
        string pending = _server.Put("api/token", "pending", null, pending: true);
        await using AwsSecretsManagerProvider provider = CreateProvider();

        using SecretPayload payload = await provider.FetchAsync("api/token", versionId: null, versionStage: "AWSPENDING", CancellationToken.None);

        Assert.Equal(pending, payload.VersionId);
        Assert.Equal("pending", Encoding.UTF8.GetString(payload.Value));
        Assert.Equal("AWSPENDING", _server.Requests.Single().Body["VersionStage"]!.GetValue<string>());
    }

    [Fact]
    public async Task GetCurrentVersionsAsync_AfterRotation_ReturnsNewVersion()
    {
        string before = _server.PutString("db/password", "old");
        await using AwsSecretsManagerProvider provider = CreateProvider();
        IReadOnlyDictionary<string, VersionLookup> first = await provider.GetCurrentVersionsAsync(["db/password"], CancellationToken.None);

        string after = _server.PutString("db/password", "new");
        IReadOnlyDictionary<string, VersionLookup> second = await provider.GetCurrentVersionsAsync(["db/password"], CancellationToken.None);

        Assert.Equal(before, first["db/password"].VersionId);
        Assert.Equal(after, second["db/password"].VersionId);
        Assert.Equal(2, _server.CountOf("BatchGetSecretValue"));
        Assert.Equal(0, _server.CountOf("GetSecretValue"));
    }

    [Fact]
    public async Task GetCurrentVersionsAsync_45Secrets_SendsPagedBatches()
    {
        var versions = new Dictionary<string, string>();
        for (int i = 0; i < 45; i++)
        {
            versions[$"app/secret-{i:D2}"] = _server.PutString($"app/secret-{i:D2}", $"value {i}");
        }

        _server.BatchPageSize = 7;
        await using AwsSecretsManagerProvider provider = CreateProvider();

        IReadOnlyDictionary<string, VersionLookup> result = await provider.GetCurrentVersionsAsync([.. versions.Keys, "app/secret-00"], CancellationToken.None);

        // Batches of 20, 20 and 5 ids; each batch of 20 needs 3 pages of at most 7 entries, the last one 1 page.
        Assert.Equal(7, _server.CountOf("BatchGetSecretValue"));
        Assert.Equal(_server.Requests.Count, _server.CountOf("BatchGetSecretValue"));
        Assert.All(_server.Requests, request => Assert.InRange(request.Body["SecretIdList"]!.AsArray().Count, 1, 20));
        Assert.Equal(4, _server.Requests.Count(request => request.Body["NextToken"] is not null));
        Assert.Equal(45, result.Count);
        foreach ((string path, string versionId) in versions)
        {
            Assert.Equal(versionId, result[path].VersionId);
        }
    }

    [Fact]
    public async Task GetCurrentVersionsAsync_PerSecretErrors_ReportedPerPath()
    {
        string good = _server.PutString("ok", "value");
        _server.PutString("denied", "value");
        _server.PutString("deleted", "value");
        _server.MarkDeleted("deleted");
        _server.Denied.Add("denied");
        await using AwsSecretsManagerProvider provider = CreateProvider();

        IReadOnlyDictionary<string, VersionLookup> result = await provider.GetCurrentVersionsAsync(["ok", "missing", "denied", "deleted"], CancellationToken.None);

        Assert.Single(_server.Requests);
        Assert.Equal(good, result["ok"].VersionId);
        Assert.Equal(ProviderErrorKind.NotFound, result["missing"].Error!.Kind);
        Assert.Equal(ProviderErrorKind.AccessDenied, result["denied"].Error!.Kind);
        Assert.Equal(ProviderErrorKind.Deleted, result["deleted"].Error!.Kind);
        Assert.Contains("secret missing", result["missing"].Error!.Message, StringComparison.Ordinal);
        Assert.Contains("ResourceNotFoundException", result["missing"].Error!.Message, StringComparison.Ordinal);
        Assert.True(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task GetCurrentVersionsAsync_ArnPaths_MatchEntries()
    {
        string versionId = _server.PutString("by/arn", "value");
        string arn = _server.ArnOf("by/arn");
        string partialArn = arn[..^7];
        await using AwsSecretsManagerProvider provider = CreateProvider();

        IReadOnlyDictionary<string, VersionLookup> result = await provider.GetCurrentVersionsAsync([arn, partialArn], CancellationToken.None);

        Assert.Equal(versionId, result[arn].VersionId);
        Assert.Equal(versionId, result[partialArn].VersionId);
    }

    [Fact]
    public async Task GetCurrentVersionsAsync_WholeBatchRejected_EveryPathFails()
    {
        _server.PutString("a", "value");
        _server.FailNext(1, 400, "AccessDeniedException", "User arn:aws:iam::123456789012:user/dso may not call secretsmanager:BatchGetSecretValue.");
        await using AwsSecretsManagerProvider provider = CreateProvider();

        IReadOnlyDictionary<string, VersionLookup> result = await provider.GetCurrentVersionsAsync(["a", "b"], CancellationToken.None);

        Assert.Equal(ProviderErrorKind.AccessDenied, result["a"].Error!.Kind);
        Assert.Equal(ProviderErrorKind.AccessDenied, result["b"].Error!.Kind);
        Assert.Contains("secretsmanager:BatchGetSecretValue", result["a"].Error!.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(400, "ThrottlingException")]
    [InlineData(429, "ThrottlingException")]
    [InlineData(500, "InternalServiceError")]
    [InlineData(503, "ServiceUnavailable")]
    public async Task FetchAsync_TransientErrors_RetriedThenSucceeds(int status, string type)
    {
        _server.PutString("db/password", SecretValue);
        _server.FailNext(2, status, type, "Rate exceeded");
        await using AwsSecretsManagerProvider provider = CreateProvider();

        using SecretPayload payload = await provider.FetchAsync("db/password", versionId: null, CancellationToken.None);

        Assert.Equal(SecretValue, Encoding.UTF8.GetString(payload.Value));
        Assert.Equal(3, _server.CountOf("GetSecretValue"));
        Assert.Equal(2, _logs.Lines.Count(line => line.Contains("retry", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task FetchAsync_ThrottledBeyondRetries_ThrowsThrottled()
    {
        _server.PutString("db/password", SecretValue);
        _server.FailNext(10, 400, "ThrottlingException", "Rate exceeded");
        await using AwsSecretsManagerProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Throttled, error.Kind);
        Assert.Equal(FastRetries.MaxRetries + 1, _server.CountOf("GetSecretValue"));
        Assert.True(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task FetchAsync_AccessDenied_NotRetried()
    {
        _server.PutString("db/password", SecretValue);
        _server.Denied.Add("db/password");
        await using AwsSecretsManagerProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.AccessDenied, error.Kind);
        Assert.Equal(400, error.StatusCode);
        Assert.Equal(1, _server.CountOf("GetSecretValue"));
        Assert.Contains("Provider aws_main: GetSecretValue for secret db/password failed with HTTP 400", error.Message, StringComparison.Ordinal);
        Assert.Contains("AccessDeniedException", error.Message, StringComparison.Ordinal);
        Assert.Contains("secretsmanager:GetSecretValue", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_ResourceNotFound_NotRetried()
    {
        await using AwsSecretsManagerProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("nope", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.NotFound, error.Kind);
        Assert.Equal(1, _server.CountOf("GetSecretValue"));
        Assert.Contains("secret nope", error.Message, StringComparison.Ordinal);
        Assert.Contains("ResourceNotFoundException", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_UnknownVersionId_NotFound()
    {
        _server.PutString("db/password", SecretValue);
        await using AwsSecretsManagerProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(
            () => provider.FetchAsync("db/password", "v9999-0000-0000-0000-000000000000", CancellationToken.None));

        Assert.Equal(ProviderErrorKind.NotFound, error.Kind);
        Assert.Contains("version v9999-0000-0000-0000-000000000000", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_DeletedSecret_ThrowsDeleted()
    {
        _server.PutString("old", SecretValue);
        _server.MarkDeleted("old");
        await using AwsSecretsManagerProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("old", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Deleted, error.Kind);
        Assert.Equal(1, _server.CountOf("GetSecretValue"));
        Assert.Contains("restore-secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_WrongSecretKey_UnauthenticatedUntilFixed()
    {
        _server.PutString("db/password", SecretValue);
        _environment["AWS_SECRET_ACCESS_KEY"] = "wrongWrongWrong/0123456789+abcdefghijklmno";
        await using AwsSecretsManagerProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));
        ProviderHealth afterFailure = provider.Health;

        _environment["AWS_SECRET_ACCESS_KEY"] = SecretKey;
        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Contains("InvalidSignatureException", error.Message, StringComparison.Ordinal);
        Assert.False(afterFailure.IsHealthy);
        Assert.Equal(error.Message, afterFailure.Reason);
        Assert.True(provider.Health.IsHealthy);
        Assert.Equal(2, _server.CountOf("GetSecretValue"));
    }

    [Fact]
    public async Task FetchAsync_SessionCredentials_SignsToken()
    {
        _server.AddCredentials("ASIADSOTEST000000002", SecretKey, SessionToken);
        _server.PutString("db/password", SecretValue);
        _environment["AWS_ACCESS_KEY_ID"] = "ASIADSOTEST000000002";
        _environment["AWS_SESSION_TOKEN"] = SessionToken;
        await using AwsSecretsManagerProvider provider = CreateProvider();

        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        Assert.Equal(SecretValue, Encoding.UTF8.GetString(payload.Value));
    }

    [Fact]
    public async Task FetchAsync_WrongSessionToken_Unauthenticated()
    {
        _server.AddCredentials("ASIADSOTEST000000002", SecretKey, SessionToken);
        _server.PutString("db/password", SecretValue);
        _environment["AWS_ACCESS_KEY_ID"] = "ASIADSOTEST000000002";
        _environment["AWS_SESSION_TOKEN"] = "expiredSessionToken";
        await using AwsSecretsManagerProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Contains("UnrecognizedClientException", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, _server.CountOf("GetSecretValue"));
    }

    [Fact]
    public async Task FetchAsync_NamedProfile_UsesSharedCredentialsFile()
    {
        _server.AddCredentials("AKIDDSOPROFILE000003", "profileSecretKey/abcdefghijklmnopqrstuvwxyz0123", SessionToken);
        _server.PutString("db/password", SecretValue);
        string file = Path.Combine(_directory, "credentials");
        await File.WriteAllTextAsync(file, $"""
            [default]
            aws_access_key_id = AKIDDSODEFAULT000004
            aws_secret_access_key = notTheRightKey

            [dso]
            aws_access_key_id = AKIDDSOPROFILE000003
            aws_secret_access_key = profileSecretKey/abcdefghijklmnopqrstuvwxyz0123
            aws_session_token = {SessionToken}
            """);
        _environment.Remove("AWS_ACCESS_KEY_ID");
        _environment.Remove("AWS_SECRET_ACCESS_KEY");
        _environment["AWS_SHARED_CREDENTIALS_FILE"] = file;
        await using AwsSecretsManagerProvider provider = CreateProvider(profile: "dso");

        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        Assert.Equal(SecretValue, Encoding.UTF8.GetString(payload.Value));
        Assert.Contains(_logs.Lines, line => line.Contains("SessionAWSCredentials", StringComparison.Ordinal));
    }

    [Fact]
    public async Task FetchAsync_UnknownProfile_UnauthenticatedWithoutRequest()
    {
        await using AwsSecretsManagerProvider provider = CreateProvider(profile: "absent");

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Contains("profile absent", error.Message, StringComparison.Ordinal);
        Assert.Contains("providers.aws_main.profile", error.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
        Assert.False(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task FetchAsync_SlowServer_TimesOut()
    {
        _server.PutString("db/password", SecretValue);
        _server.Hang = true;
        var options = FastRetries with { AttemptTimeout = TimeSpan.FromMilliseconds(300), MaxRetries = 1 };
        await using AwsSecretsManagerProvider provider = CreateProvider(options: options);

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unavailable, error.Kind);
        Assert.Contains("GetSecretValue for secret db/password timed out after 0.3 s on the last of 2 attempts", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, _server.CountOf("GetSecretValue"));
    }

    [Fact]
    public async Task FetchAsync_NothingListening_Unavailable()
    {
        Uri closed;
        await using (var stopped = new FakeSecretsManager())
        {
            closed = stopped.Endpoint;
        }

        await using AwsSecretsManagerProvider provider = CreateProvider(endpoint: closed, options: FastRetries with { MaxRetries = 1 });

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unavailable, error.Kind);
        Assert.Contains($"could not reach {closed}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CheckConnectionAsync_SendsOneListSecrets()
    {
        await using AwsSecretsManagerProvider provider = CreateProvider();

        await provider.CheckConnectionAsync(CancellationToken.None);

        (string operation, System.Text.Json.Nodes.JsonObject body) = Assert.Single(_server.Requests);
        Assert.Equal("ListSecrets", operation);
        Assert.Equal(1, body["MaxResults"]!.GetValue<int>());
    }

    [Fact]
    public async Task CheckConnectionAsync_WrongAccessKey_Unauthenticated()
    {
        _environment["AWS_ACCESS_KEY_ID"] = "AKIDDSOUNKNOWN000009";
        await using AwsSecretsManagerProvider provider = CreateProvider();

        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.CheckConnectionAsync(CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Contains("ListSecrets", error.Message, StringComparison.Ordinal);
        Assert.False(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task Failures_MessagesAndLogs_HoldNoSecrets()
    {
        const string sessionAccessKey = "ASIADSOTEST000000002";
        string echo = $"key {sessionAccessKey} secret {SecretKey} token {SessionToken}";
        _server.AddCredentials(sessionAccessKey, SecretKey, SessionToken);
        _server.PutString("db/password", SecretValue);
        _server.PutString("denied", SecretValue);
        _server.Denied.Add("denied");
        _environment["AWS_ACCESS_KEY_ID"] = sessionAccessKey;
        _environment["AWS_SESSION_TOKEN"] = SessionToken;
        await using AwsSecretsManagerProvider provider = CreateProvider(options: FastRetries with { MaxRetries = 1 });
        var messages = new List<string>();

        _server.FailNext(2, 400, "ThrottlingException", echo);
        messages.Add((await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None))).ToString());
        _server.FailNext(1, 400, "AccessDeniedException", echo);
        messages.Add((await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None))).ToString());
        _server.FailNext(1, 400, "ExpiredTokenException", echo);
        messages.Add((await Assert.ThrowsAsync<ProviderException>(() => provider.CheckConnectionAsync(CancellationToken.None))).ToString());
        messages.Add((await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("denied", null, CancellationToken.None))).ToString());
        IReadOnlyDictionary<string, VersionLookup> versions = await provider.GetCurrentVersionsAsync(["db/password", "denied", "missing"], CancellationToken.None);
        messages.AddRange(versions.Values.Where(lookup => !lookup.Succeeded).Select(lookup => lookup.Error!.ToString()));
        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);
        messages.Add(payload.ToString());
        messages.Add(provider.Health.ToString());

        Assert.Equal(8, messages.Count);
        Assert.Contains(messages, message => message.Contains("[redacted]", StringComparison.Ordinal));
        Assert.NotEmpty(_logs.Lines);
        foreach (string text in messages.Concat(_logs.Lines))
        {
            Assert.DoesNotContain(SecretKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(SessionToken, text, StringComparison.Ordinal);
            Assert.DoesNotContain(sessionAccessKey, text, StringComparison.Ordinal);
            Assert.DoesNotContain(SecretValue, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Create_RegionFromEnvironment_WhenConfigHasNone()
    {
        var config = new AwsProviderConfig { Name = "aws_main", Endpoint = _server.Endpoint };
        _environment["AWS_DEFAULT_REGION"] = "eu-west-1";
        _environment["AWS_REGION"] = FakeSecretsManager.Region;

        await using ISecretProvider created = ProviderFactory.Create(config, Context());
        _environment.Remove("AWS_REGION");
        await using ISecretProvider fallback = ProviderFactory.Create(config, Context());

        var provider = Assert.IsType<AwsSecretsManagerProvider>(created);
        Assert.Equal(FakeSecretsManager.Region, provider.Region);
        Assert.Equal("eu-west-1", Assert.IsType<AwsSecretsManagerProvider>(fallback).Region);
    }

    [Fact]
    public async Task Create_FromFactory_FetchesThroughEndpoint()
    {
        _server.PutString("db/password", SecretValue);
        var config = new AwsProviderConfig { Name = "aws_main", Region = FakeSecretsManager.Region, Endpoint = _server.Endpoint };

        await using ISecretProvider provider = ProviderFactory.Create(config, Context());
        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        Assert.Equal(SecretValue, Encoding.UTF8.GetString(payload.Value));
    }

    [Fact]
    public void Create_NoRegion_ThrowsInvalid()
    {
        var config = new AwsProviderConfig { Name = "aws_main" };

        ProviderException error = Assert.Throws<ProviderException>(() => ProviderFactory.Create(config, Context()));

        Assert.Equal(ProviderErrorKind.Invalid, error.Kind);
        Assert.Contains("providers.aws_main", error.Message, StringComparison.Ordinal);
        Assert.Contains("AWS_REGION", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_MalformedEnvironmentRegion_ThrowsInvalid()
    {
        var config = new AwsProviderConfig { Name = "aws_main" };
        _environment["AWS_REGION"] = "US East/1";

        ProviderException error = Assert.Throws<ProviderException>(() => ProviderFactory.Create(config, Context()));

        Assert.Equal(ProviderErrorKind.Invalid, error.Kind);
        Assert.Contains("\"US East/1\"", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("eu-central-1", "https://secretsmanager.eu-central-1.amazonaws.com/")]
    [InlineData("cn-north-1", "https://secretsmanager.cn-north-1.amazonaws.com.cn/")]
    public async Task Create_NoEndpoint_UsesRegionEndpoint(string region, string expected)
    {
        var config = new AwsProviderConfig { Name = "aws_main", Region = region };

        await using var provider = new AwsSecretsManagerProvider(config, Context());

        Assert.Equal(new Uri(expected), provider.Endpoint);
    }

    private ProviderContext Context() => new(TimeProvider.System, _logs, name => _environment.GetValueOrDefault(name));

    private AwsSecretsManagerProvider CreateProvider(string? profile = null, Uri? endpoint = null, ProviderResilienceOptions? options = null)
    {
        var config = new AwsProviderConfig
        {
            Name = "aws_main",
            Region = FakeSecretsManager.Region,
            Endpoint = endpoint ?? _server.Endpoint,
            Profile = profile,
        };
        ProviderContext context = Context();
        return new AwsSecretsManagerProvider(config, context, options ?? FastRetries, credentials: null, handler: null);
    }
}
