using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Dso.Agent.Configuration;
using Dso.Agent.Providers;
using Dso.Agent.Providers.Aws;

namespace Dso.Agent.Tests.Providers.Aws;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AwsProcessEnvironment
{
    public const string Name = "AWS process environment";
}

/// <summary>
/// The SDK's own chain reads the process environment, so these tests set it and run alone. Every variable that
/// could send the chain anywhere but 127.0.0.1 is cleared, and instance metadata is disabled.
/// </summary>
[Collection(AwsProcessEnvironment.Name)]
public sealed class AwsDefaultChainTests : IAsyncLifetime, IDisposable
{
    private const string ContainerAccessKey = "ASIADSOCONTAINER0005";
    private const string ContainerSecretKey = "containerSecretKey/abcdefghijklmnopqrstuvwxyz01";
    private const string ContainerToken = "containerSessionToken/0123456789abcdefghijklmnopqrstuvwxyz";
    private const string AuthorizationToken = "container-authorization-token";
    private const string InstanceAccessKey = LoopbackInstanceMetadata.AccessKey;
    private const string InstanceSecretKey = LoopbackInstanceMetadata.SecretKey;
    private const string InstanceToken = LoopbackInstanceMetadata.SessionToken;
    private const string RoleArn = "arn:aws:iam::123456789012:role/dso-reader";

    private static FakeInstanceMetadata Metadata => LoopbackInstanceMetadata.Service;

    private static readonly string[] ChainVariables =
    [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
        "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "AWS_EC2_METADATA_DISABLED",
        "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "AWS_EC2_METADATA_V1_DISABLED",
    ];

    private readonly Dictionary<string, string?> _saved = ChainVariables.ToDictionary(name => name, Environment.GetEnvironmentVariable);
    private readonly string _directory = Directory.CreateTempSubdirectory("dso-aws-chain-").FullName;
    private readonly FakeSecretsManager _server = new();
    private readonly HttpListener _credentialsEndpoint = new();
    private readonly Uri _credentialsUri;
    private int _credentialRequests;

    public AwsDefaultChainTests()
    {
        _credentialsUri = new Uri(LoopbackListener.Start(_credentialsEndpoint), "/v2/credentials/dso-test");
        _ = Task.Run(() => LoopbackListener.AcceptAsync(_credentialsEndpoint, ServeCredentialsAsync));

        foreach (string name in ChainVariables)
        {
            Environment.SetEnvironmentVariable(name, null);
        }

        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", Path.Combine(_directory, "no-credentials"));
        Environment.SetEnvironmentVariable("AWS_CONFIG_FILE", Path.Combine(_directory, "no-config"));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        _credentialsEndpoint.Stop();
        _credentialsEndpoint.Close();
        await _server.DisposeAsync();
    }

    public void Dispose()
    {
        foreach ((string name, string? value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task FetchAsync_ContainerCredentials_SignsWithThem()
    {
        _server.AddCredentials(ContainerAccessKey, ContainerSecretKey, ContainerToken);
        _server.PutString("db/password", "container-value");
        Environment.SetEnvironmentVariable("AWS_CONTAINER_CREDENTIALS_FULL_URI", _credentialsUri.ToString());
        Environment.SetEnvironmentVariable("AWS_CONTAINER_AUTHORIZATION_TOKEN", AuthorizationToken);
        var logs = new CapturingLoggerFactory();

        string value = await FetchWithDefaultChainAsync(logs);

        Assert.Equal("container-value", value);
        Assert.True(Volatile.Read(ref _credentialRequests) >= 1);
        Assert.Contains(logs.Lines, line => line.Contains("using AWS credentials of type", StringComparison.Ordinal));
        Assert.All(logs.Lines, line => Assert.DoesNotContain(ContainerSecretKey, line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task FetchAsync_InstanceRole_SignsWithIt()
    {
        int credentialRequestsBefore = Metadata.CredentialRequests;
        _server.AddCredentials(InstanceAccessKey, InstanceSecretKey, InstanceToken);
        _server.PutString("db/password", "instance-value");

        // LoopbackInstanceMetadata pointed the SDK at the fake when the test assembly was loaded.
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_V1_DISABLED", "true");
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", null);
        var logs = new CapturingLoggerFactory();

        string value = await FetchWithDefaultChainAsync(logs);

        Assert.Equal("instance-value", value);
        Assert.Contains("PUT /latest/api/token", Metadata.Requests);
        Assert.True(Metadata.CredentialRequests > credentialRequestsBefore, string.Join(", ", Metadata.Requests));
        Assert.All(logs.Lines, line => Assert.DoesNotContain(InstanceSecretKey, line, StringComparison.Ordinal));
        Assert.All(logs.Lines, line => Assert.DoesNotContain(InstanceToken, line, StringComparison.Ordinal));
    }

    [Fact]
    public async Task FetchAsync_RoleFromInstanceMetadata_AssumesRole()
    {
        int credentialRequestsBefore = Metadata.CredentialRequests;
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", null);

        (string value, FakeSts.StsRequest request) = await FetchWithRoleProfileAsync("Ec2InstanceMetadata", InstanceAccessKey, InstanceSecretKey, InstanceToken);

        Assert.Equal("role-value", value);
        Assert.Equal("AssumeRole", request.Action);
        Assert.Equal(InstanceAccessKey, request.AccessKey);
        Assert.True(Metadata.CredentialRequests > credentialRequestsBefore, string.Join(", ", Metadata.Requests));
    }

    [Fact]
    public async Task FetchAsync_RoleFromContainerCredentials_AssumesRole()
    {
        Environment.SetEnvironmentVariable("AWS_CONTAINER_CREDENTIALS_FULL_URI", _credentialsUri.ToString());
        Environment.SetEnvironmentVariable("AWS_CONTAINER_AUTHORIZATION_TOKEN", AuthorizationToken);

        (string value, FakeSts.StsRequest request) = await FetchWithRoleProfileAsync("EcsContainer", ContainerAccessKey, ContainerSecretKey, ContainerToken);

        Assert.Equal("role-value", value);
        Assert.Equal("AssumeRole", request.Action);
        Assert.Equal(ContainerAccessKey, request.AccessKey);
        Assert.True(Volatile.Read(ref _credentialRequests) >= 1);
    }

    [Fact]
    public async Task FetchAsync_ContainerSourceWithoutVariables_NamesProfile()
    {
        ProviderException error = await FetchWithRoleProfileFailsAsync("EcsContainer");

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Contains("profile reader in ", error.Message, StringComparison.Ordinal);
        Assert.Contains(
            "sets credential_source = EcsContainer, but neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor AWS_CONTAINER_CREDENTIALS_FULL_URI is set",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_InstanceSourceMetadataDisabled_NamesProfile()
    {
        ProviderException error = await FetchWithRoleProfileFailsAsync("Ec2InstanceMetadata");

        Assert.Equal(ProviderErrorKind.Unavailable, error.Kind);
        Assert.Contains("profile reader in ", error.Message, StringComparison.Ordinal);
        Assert.Contains("sets credential_source = Ec2InstanceMetadata, but the instance metadata service gave no role", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FetchAsync_NoCredentialsAnywhere_Unauthenticated()
    {
        _server.PutString("db/password", "value");
        var config = new AwsProviderConfig { Name = "aws_main", Region = FakeSecretsManager.Region, Endpoint = _server.Endpoint };
        var context = new ProviderContext(TimeProvider.System, new CapturingLoggerFactory(), Environment.GetEnvironmentVariable);

        await using ISecretProvider provider = ProviderFactory.Create(config, context);
        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unauthenticated, error.Kind);
        Assert.Contains("no AWS credentials could be resolved", error.Message, StringComparison.Ordinal);
        Assert.Empty(_server.Requests);
        Assert.False(provider.Health.IsHealthy);
    }

    // Reads db/password with the SDK's default credential chain and the process environment.
    private async Task<string> FetchWithDefaultChainAsync(CapturingLoggerFactory logs)
    {
        var config = new AwsProviderConfig { Name = "aws_main", Region = FakeSecretsManager.Region, Endpoint = _server.Endpoint };
        var context = new ProviderContext(TimeProvider.System, logs, Environment.GetEnvironmentVariable);
        await using ISecretProvider provider = ProviderFactory.Create(config, context);
        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);
        return Encoding.UTF8.GetString(payload.Value);
    }

    // A profile that assumes RoleArn with the credentials of credential_source; returns the secret read with the
    // role's credentials and the one STS request.
    private async Task<(string Value, FakeSts.StsRequest Request)> FetchWithRoleProfileAsync(string credentialSource, string accessKey, string secretKey, string token)
    {
        await using var sts = new FakeSts(_server);
        sts.AddSourceCredentials(accessKey, secretKey, token);
        sts.TrustAssumeRole(RoleArn, accessKey);
        _server.PutString("db/password", "role-value");
        string credentialsFile = Path.Combine(_directory, "credentials");
        File.WriteAllText(credentialsFile, $"[reader]\nrole_arn = {RoleArn}\ncredential_source = {credentialSource}\n");
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", credentialsFile);
        var logs = new CapturingLoggerFactory();
        var config = new AwsProviderConfig
        {
            Name = "aws_main",
            Region = FakeSecretsManager.Region,
            Endpoint = _server.Endpoint,
            StsEndpoint = sts.Endpoint,
            Profile = "reader",
        };
        var context = new ProviderContext(TimeProvider.System, logs, Environment.GetEnvironmentVariable);

        await using ISecretProvider provider = ProviderFactory.Create(config, context);
        using SecretPayload payload = await provider.FetchAsync("db/password", null, CancellationToken.None);

        Assert.All(logs.Lines, line => Assert.DoesNotContain(secretKey, line, StringComparison.Ordinal));
        Assert.All(logs.Lines, line => Assert.DoesNotContain(token, line, StringComparison.Ordinal));
        return (Encoding.UTF8.GetString(payload.Value), Assert.Single(sts.Requests));
    }

    // A profile that assumes RoleArn with the credentials of credential_source, when that source has none; returns the error of the fetch.
    private async Task<ProviderException> FetchWithRoleProfileFailsAsync(string credentialSource)
    {
        await using var sts = new FakeSts(_server);
        _server.PutString("db/password", "role-value");
        string credentialsFile = Path.Combine(_directory, "credentials");
        File.WriteAllText(credentialsFile, $"[reader]\nrole_arn = {RoleArn}\ncredential_source = {credentialSource}\n");
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", credentialsFile);
        var config = new AwsProviderConfig
        {
            Name = "aws_main",
            Region = FakeSecretsManager.Region,
            Endpoint = _server.Endpoint,
            StsEndpoint = sts.Endpoint,
            Profile = "reader",
        };
        var context = new ProviderContext(TimeProvider.System, new CapturingLoggerFactory(), Environment.GetEnvironmentVariable);

        await using ISecretProvider provider = ProviderFactory.Create(config, context);
        ProviderException error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db/password", null, CancellationToken.None));
        Assert.Empty(sts.Requests);
        Assert.Empty(_server.Requests);
        return error;
    }

    // Serves the container credentials endpoint: GET with the authorization token, JSON credentials back.
    private async Task ServeCredentialsAsync(HttpListenerContext context)
    {
        Interlocked.Increment(ref _credentialRequests);
        bool authorized = context.Request.HttpMethod == "GET"
            && context.Request.Url!.AbsolutePath == _credentialsUri.AbsolutePath
            && context.Request.Headers["Authorization"] == AuthorizationToken;
        JsonObject body = authorized
            ? new JsonObject
            {
                ["AccessKeyId"] = ContainerAccessKey,
                ["SecretAccessKey"] = ContainerSecretKey,
                ["Token"] = ContainerToken,
                ["Expiration"] = DateTimeOffset.UtcNow.AddHours(1).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            }
            : new JsonObject { ["Code"] = "AccessDenied", ["Message"] = "Missing or wrong Authorization header." };
        byte[] bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        context.Response.StatusCode = authorized ? 200 : 403;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }
}
