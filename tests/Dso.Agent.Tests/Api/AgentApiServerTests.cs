using System.Net;
using System.Text;
using System.Text.Json;
using Dso.Agent.Journal;
using Dso.Agent.Runtime;

namespace Dso.Agent.Tests.Api;

/// <summary>The agent API's endpoints, served by the real server on a temporary unix socket and called as root.</summary>
public sealed class AgentApiServerTests : IAsyncLifetime
{
    private ApiTestServer _server = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _server = await new ApiTestServer().StartAsync();
        _client = _server.CreateClient();
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task Status_AsRoot_ReturnsSnapshotJson()
    {
        using HttpResponseMessage response = await _client.GetAsync("/v1/status");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement root = document.RootElement;
        Assert.Equal(
            ["pid", "started_at", "config", "providers", "secrets", "targets", "rotations_in_flight"],
            root.EnumerateObject().Select(property => property.Name));
        Assert.Equal(4242, root.GetProperty("pid").GetInt32());
        Assert.False(root.GetProperty("providers")[1].GetProperty("healthy").GetBoolean());
        Assert.Equal(3, root.GetProperty("secrets")[1].GetProperty("consecutive_errors").GetInt32());
        Assert.Equal("7", root.GetProperty("targets")[0].GetProperty("applied").GetProperty("db_password").GetString());
        Assert.Equal("20261204T213000-0a1b2c3d", root.GetProperty("rotations_in_flight")[0].GetString());
    }

    [Fact]
    public async Task Rotations_Journal_NewestFirstWithSnakeCaseSteps()
    {
        RotationRecord older = _server.Journal.Begin("compose:shop/api", "rolling", [new SecretVersion("db_password", "vault-main", "6")], "old1", "shop-api-1");
        _server.Journal.Advance(older.Id, RotationStep.Completed);
        RotationRecord newer = _server.Journal.Begin("compose:shop/web", "restart", [new SecretVersion("db_password", "vault-main", "7")], "old2", "shop-web-1");
        _server.Journal.Advance(newer.Id, RotationStep.NewContainerCreated);

        using HttpResponseMessage response = await _client.GetAsync("/v1/rotations");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement[] rotations = [.. document.RootElement.GetProperty("rotations").EnumerateArray()];
        Assert.Equal([newer.Id, older.Id], rotations.Select(rotation => rotation.GetProperty("id").GetString()));
        Assert.Equal("new_container_created", rotations[0].GetProperty("step").GetString());
        Assert.Equal("completed", rotations[1].GetProperty("step").GetString());
        Assert.Equal("7", rotations[0].GetProperty("secrets")[0].GetProperty("version").GetString());
    }

    [Fact]
    public async Task Rotations_TargetAndLimit_SelectNewestOfTarget()
    {
        _server.Journal.Begin("compose:shop/api", "rolling", [], null, null);
        RotationRecord web = _server.Journal.Begin("compose:shop/web", "rolling", [], null, null);
        _server.Journal.Begin("compose:shop/web", "rolling", [], null, null);

        using HttpResponseMessage response = await _client.GetAsync("/v1/rotations?target=compose:shop/web&limit=1");

        using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement[] rotations = [.. document.RootElement.GetProperty("rotations").EnumerateArray()];
        Assert.Single(rotations);
        Assert.Equal("compose:shop/web", rotations[0].GetProperty("target").GetString());
        Assert.NotEqual(web.Id, rotations[0].GetProperty("id").GetString());
    }

    [Fact]
    public async Task Rotations_InvalidLimit_Returns400()
    {
        using HttpResponseMessage response = await _client.GetAsync("/v1/rotations?limit=zero");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("limit", await ErrorOf(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_ConfiguredSecret_ReturnsResult()
    {
        _server.Control.SetRotationResult(new ManualRotationResult("db_password", "8",
        [
            new TargetRotationResult("compose:shop/api", "20261204T220000-aaaa0001", "completed", Error: null),
            new TargetRotationResult("container:billing", "20261204T220000-aaaa0002", "failed", "health check timed out after 60s"),
        ]));

        using HttpResponseMessage response = await PostRotateAsync("""{"secret":"db_password"}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("db_password", document.RootElement.GetProperty("secret").GetString());
        Assert.Equal("8", document.RootElement.GetProperty("version").GetString());
        JsonElement failed = document.RootElement.GetProperty("rotations")[1];
        Assert.Equal(["target", "rotation_id", "outcome", "error"], failed.EnumerateObject().Select(property => property.Name));
        Assert.Equal("failed", failed.GetProperty("outcome").GetString());
        Assert.Equal(["db_password"], _server.Control.RotateCalls);
    }

    [Fact]
    public async Task Rotate_UnknownSecret_Returns404WithAgentMessage()
    {
        using HttpResponseMessage response = await PostRotateAsync("""{"secret":"no_such_secret"}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains("The secret no_such_secret is not configured", await ErrorOf(response), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"secret": s3cr3t-VALUE-must-not-appear}""")]
    [InlineData("""{"secret":"db_password" """)]
    [InlineData("not json at all")]
    public async Task Rotate_MalformedBody_Returns400WithoutQuotingBody(string body)
    {
        using HttpResponseMessage response = await PostRotateAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        string error = await ErrorOf(response);
        Assert.Contains("not valid JSON", error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", error, StringComparison.Ordinal);
        Assert.Empty(_server.Control.RotateCalls);
    }

    [Theory]
    [InlineData("{}")]
    [InlineData("""{"secret":""}""")]
    [InlineData("""{"secret":null}""")]
    public async Task Rotate_NoSecretName_Returns400(string body)
    {
        using HttpResponseMessage response = await PostRotateAsync(body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("has no \"secret\" name", await ErrorOf(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rotate_BodyOverLimit_Returns413()
    {
        string body = $$"""{"secret":"{{new string('a', 100_000)}}"}""";

        using HttpResponseMessage response = await PostRotateAsync(body);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("larger than", await ErrorOf(response), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/v1/statusx")]
    [InlineData("/v2/status")]
    public async Task UnknownPath_Returns404(string path)
    {
        using HttpResponseMessage response = await _client.GetAsync(path);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Contains($"no API path {path}", await ErrorOf(response), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GET", "/v1/rotate", "POST")]
    [InlineData("POST", "/v1/status", "GET")]
    [InlineData("DELETE", "/v1/rotations", "GET")]
    public async Task WrongMethod_Returns405WithAllow(string method, string path, string allowed)
    {
        using var request = new HttpRequestMessage(new HttpMethod(method), path);

        using HttpResponseMessage response = await _client.SendAsync(request);

        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Equal([allowed], response.Content.Headers.Allow);
        Assert.Contains($"accepts {allowed} only", await ErrorOf(response), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_AgentThrows_Returns500WithoutExceptionMessage()
    {
        _server.Control.StatusFailure = new InvalidOperationException("s3cr3t-VALUE-must-not-appear");

        using HttpResponseMessage response = await _client.GetAsync("/v1/status");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        string error = await ErrorOf(response);
        Assert.Contains("InvalidOperationException", error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", error, StringComparison.Ordinal);
        Assert.Contains(_server.LogLines, line => line.Contains("GET /v1/status failed with InvalidOperationException", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StatusStream_Changes_SendsSnapshotEach()
    {
        using HttpResponseMessage response = await _client.GetAsync("/v1/status/stream", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("application/x-ndjson", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        string? first = await reader.ReadLineAsync();
        _server.Control.SetStatus(TestAgentControl.SampleStatus() with { Pid = 1001 });
        string? second = await reader.ReadLineAsync();
        _server.Control.SetStatus(TestAgentControl.SampleStatus() with { RotationsInFlight = [] });
        string? third = await reader.ReadLineAsync();

        Assert.Equal(4242, PidOf(first));
        Assert.Equal(1001, PidOf(second));
        using JsonDocument last = JsonDocument.Parse(third!);
        Assert.Equal(0, last.RootElement.GetProperty("rotations_in_flight").GetArrayLength());
    }

    [Fact]
    public async Task StatusStream_ServerStops_StreamEnds()
    {
        using HttpResponseMessage response = await _client.GetAsync("/v1/status/stream", HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        Assert.NotNull(await reader.ReadLineAsync());

        await _server.Server.StopAsync(CancellationToken.None);

        Assert.Null(await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.False(File.Exists(_server.SocketPath));
    }

    private async Task<HttpResponseMessage> PostRotateAsync(string body)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        return await _client.PostAsync("/v1/rotate", content);
    }

    private static async Task<string> ErrorOf(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("error").GetString()!;
    }

    private static int PidOf(string? line)
    {
        Assert.NotNull(line);
        using JsonDocument document = JsonDocument.Parse(line);
        return document.RootElement.GetProperty("pid").GetInt32();
    }
}
