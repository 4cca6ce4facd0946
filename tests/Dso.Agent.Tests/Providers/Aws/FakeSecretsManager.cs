using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Dso.Agent.Tests.Providers.Aws;

/// <summary>
/// A Secrets Manager stand-in on 127.0.0.1 that follows the service's JSON protocol: POST / with
/// Content-Type application/x-amz-json-1.1 and X-Amz-Target secretsmanager.Operation, error bodies
/// {"__type": ..., "message": ...} with status 400 (500 for InternalServiceError), NextToken pagination,
/// and a SigV4 check of every request against the credentials registered with AddCredentials.
/// </summary>
internal sealed class FakeSecretsManager : IAsyncDisposable
{
    public const string Region = "us-east-1";
    public const string AccountArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:";

    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly Dictionary<string, FakeSecret> _secrets = new(StringComparer.Ordinal);
    // Concurrent, because a FakeSts registers the credentials it issues while requests are being checked.
    private readonly ConcurrentDictionary<string, (string SecretKey, string? Token)> _credentials = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(int Status, string Type, string Message)> _faults = new();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private int _nextVersion;

    /// <summary>Starts the server on <paramref name="port"/>, or on a free port when it is 0.</summary>
    /// <remarks>A test that stops a server and starts another on its port simulates an outage and a recovery.</remarks>
    public FakeSecretsManager(int port = 0)
    {
        port = port == 0 ? FreePort() : port;
        Endpoint = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Endpoint.ToString());
        _listener.Start();
        _loop = Task.Run(() => LoopbackListener.AcceptAsync(_listener, HandleAsync));
    }

    public Uri Endpoint { get; }

    /// <summary>Every request that reached the server, in order: the operation of its X-Amz-Target and its body.</summary>
    public ConcurrentQueue<(string Operation, JsonObject Body)> Requests { get; } = new();

    /// <summary>SecretValues plus Errors per BatchGetSecretValue page; the rest comes with a NextToken.</summary>
    public int BatchPageSize { get; set; } = 20;

    /// <summary>Secret ids that the caller's identity may not read.</summary>
    public HashSet<string> Denied { get; } = new(StringComparer.Ordinal);

    /// <summary>The server's clock, against which a request's X-Amz-Date may differ by at most 5 minutes.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>When true, requests wait until the server is disposed before a response is sent.</summary>
    public bool Hang { get; set; }

    public int CountOf(string operation) => Requests.Count(request => request.Operation == operation);

    public void AddCredentials(string accessKey, string secretKey, string? token = null) => _credentials[accessKey] = (secretKey, token);

    /// <summary>Makes the next requests fail with this status and error, after their signature was checked.</summary>
    public void FailNext(int count, int status, string type, string message)
    {
        for (int i = 0; i < count; i++)
        {
            _faults.Enqueue((status, type, message));
        }
    }

    public string PutString(string name, string value) => Put(name, value, null);

    public string PutBinary(string name, byte[] value) => Put(name, null, value);

    /// <summary>Adds a version that becomes AWSCURRENT (the previous current one becomes AWSPREVIOUS) and returns its id.</summary>
    public string Put(string name, string? text, byte[]? binary, bool pending = false)
    {
        lock (_lock)
        {
            if (!_secrets.TryGetValue(name, out FakeSecret? secret))
            {
                secret = new FakeSecret(name, $"{AccountArn}{name}-{Suffix(name)}");
                _secrets[name] = secret;
            }

            string versionId = $"v{++_nextVersion:D4}-0000-0000-0000-000000000000";
            if (pending)
            {
                secret.Versions.Add(new FakeVersion(versionId, text, binary, ["AWSPENDING"]));
                return versionId;
            }

            foreach (FakeVersion old in secret.Versions)
            {
                old.Stages.Remove("AWSPREVIOUS");
                if (old.Stages.Remove("AWSCURRENT"))
                {
                    old.Stages.Add("AWSPREVIOUS");
                }
            }

            secret.Versions.Add(new FakeVersion(versionId, text, binary, ["AWSCURRENT"]));
            return versionId;
        }
    }

    public string ArnOf(string name)
    {
        lock (_lock)
        {
            return _secrets[name].Arn;
        }
    }

    public void MarkDeleted(string name)
    {
        lock (_lock)
        {
            _secrets[name].Deleted = true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _release.TrySetResult();
        _listener.Stop();
        _listener.Close();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (Exception error) when (error is HttpListenerException or ObjectDisposedException)
        {
        }
    }

    private static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string Suffix(string name) => Convert.ToHexString(Encoding.UTF8.GetBytes(name + "xxxxxx"))[..6].ToLowerInvariant();

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            (int status, JsonObject body) = await AnswerAsync(context.Request).ConfigureAwait(false);
            if (Hang)
            {
                await _release.Task.ConfigureAwait(false);
            }

            byte[] bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/x-amz-json-1.1";
            context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
            context.Response.Close();
        }
        catch (Exception error) when (error is HttpListenerException or ObjectDisposedException or IOException)
        {
            // The client went away (a timed-out attempt) or the server stopped.
        }
    }

    private async Task<(int Status, JsonObject Body)> AnswerAsync(HttpListenerRequest request)
    {
        using var buffer = new MemoryStream();
        await request.InputStream.CopyToAsync(buffer).ConfigureAwait(false);
        byte[] body = buffer.ToArray();

        string target = request.Headers["X-Amz-Target"] ?? "";
        if (request.HttpMethod != "POST" || request.Url!.AbsolutePath != "/" || !target.StartsWith("secretsmanager.", StringComparison.Ordinal))
        {
            return Error(400, "UnknownOperationException", "The requested operation is not recognized.");
        }

        if (request.ContentType != "application/x-amz-json-1.1")
        {
            return Error(400, "SerializationException", $"Unexpected Content-Type {request.ContentType}.");
        }

        string operation = target["secretsmanager.".Length..];
        JsonObject input;
        try
        {
            input = JsonNode.Parse(body) as JsonObject ?? throw new JsonException("not an object");
        }
        catch (JsonException)
        {
            return Error(400, "SerializationException", "The request body is not a JSON object.");
        }

        Requests.Enqueue((operation, input));
        if (CheckSignature(request, body) is { } rejected)
        {
            return rejected;
        }

        if (_faults.TryDequeue(out (int Status, string Type, string Message) fault))
        {
            return Error(fault.Status, fault.Type, fault.Message);
        }

        lock (_lock)
        {
            return operation switch
            {
                "GetSecretValue" => GetSecretValue(input),
                "BatchGetSecretValue" => BatchGetSecretValue(input),
                "ListSecrets" => ListSecrets(input),
                _ => Error(400, "UnknownOperationException", $"The operation {operation} is not recognized."),
            };
        }
    }

    private (int, JsonObject)? CheckSignature(HttpListenerRequest request, byte[] body)
    {
        SigV4Verifier.AuthorizationHeader? authorization = SigV4Verifier.Parse(request.Headers["Authorization"]);
        if (authorization is null)
        {
            return Error(400, "IncompleteSignatureException", "Authorization header requires Credential, SignedHeaders and Signature.");
        }

        if (!_credentials.TryGetValue(authorization.AccessKey, out (string SecretKey, string? Token) known))
        {
            return Error(400, "UnrecognizedClientException", "The access key id or the security token of the request is not valid.");
        }

        string? token = request.Headers["X-Amz-Security-Token"];
        if (token != known.Token)
        {
            return Error(400, "UnrecognizedClientException", "The access key id or the security token of the request is not valid.");
        }

        string amzDate = request.Headers["X-Amz-Date"] ?? "";
        if (!SigV4Verifier.TryParseAmzDate(amzDate, out DateTimeOffset signedAt) || amzDate[..8] != authorization.Date)
        {
            return Error(400, "IncompleteSignatureException", "X-Amz-Date is missing, malformed, or not the date of the credential scope.");
        }

        if ((Clock.GetUtcNow() - signedAt).Duration() > TimeSpan.FromMinutes(5))
        {
            return Error(400, "InvalidSignatureException", "Signature expired: the request time is more than 5 minutes from the server's time.");
        }

        string[] required = token is null ? ["host", "x-amz-date", "x-amz-target"] : ["host", "x-amz-date", "x-amz-security-token", "x-amz-target"];
        if (required.Any(name => !authorization.SignedHeaders.Contains(name))
            || authorization.SignedHeaders.Order(StringComparer.Ordinal).SequenceEqual(authorization.SignedHeaders) is false)
        {
            return Error(400, "IncompleteSignatureException", "SignedHeaders must be sorted and include host, x-amz-date, x-amz-target and, with a session token, x-amz-security-token.");
        }

        if (authorization.Region != Region || authorization.Service != "secretsmanager")
        {
            return Error(400, "InvalidSignatureException", $"Credential should be scoped to a valid region and to secretsmanager, not {authorization.Region}/{authorization.Service}.");
        }

        string expected = SigV4Verifier.ComputeSignature(
            request.HttpMethod, request.Url!.AbsolutePath, "", request.Headers, authorization.SignedHeaders, body,
            amzDate, authorization.Region, authorization.Service, known.SecretKey);
        return expected == authorization.Signature
            ? null
            : Error(400, "InvalidSignatureException", "The signature computed from the request differs from the signature in the Authorization header.");
    }

    private (int, JsonObject) GetSecretValue(JsonObject input)
    {
        string id = input["SecretId"]?.GetValue<string>() ?? "";
        string? versionId = input["VersionId"]?.GetValue<string>();
        string? stage = input["VersionStage"]?.GetValue<string>();
        if (Lookup(id, out FakeSecret? secret) is { } failure)
        {
            return Error(400, failure.Code, failure.Message);
        }

        FakeVersion? version = secret!.Versions.FirstOrDefault(candidate =>
            (versionId is null || candidate.VersionId == versionId)
            && (stage is null ? versionId is not null || candidate.Stages.Contains("AWSCURRENT") : candidate.Stages.Contains(stage)));
        if (version is null)
        {
            return Error(400, "ResourceNotFoundException", $"The secret has no version with VersionId {versionId} and VersionStage {stage}.");
        }

        return (200, Entry(secret, version));
    }

    private (int, JsonObject) BatchGetSecretValue(JsonObject input)
    {
        if (input["Filters"] is not null)
        {
            return Error(400, "InvalidParameterException", "This fake supports SecretIdList only.");
        }

        List<string> ids = input["SecretIdList"]?.AsArray().Select(node => node!.GetValue<string>()).ToList() ?? [];
        if (ids.Count is 0 or > 20)
        {
            return Error(400, "InvalidParameterException", "SecretIdList must contain 1 to 20 secret ids.");
        }

        int offset = input["NextToken"] is { } token ? int.Parse(Encoding.UTF8.GetString(Convert.FromBase64String(token.GetValue<string>())), System.Globalization.CultureInfo.InvariantCulture) : 0;
        var values = new JsonArray();
        var errors = new JsonArray();
        foreach (string id in ids.Skip(offset).Take(BatchPageSize))
        {
            if (Lookup(id, out FakeSecret? secret) is { } failure)
            {
                errors.Add(new JsonObject { ["SecretId"] = id, ["ErrorCode"] = failure.Code, ["Message"] = failure.Message });
                continue;
            }

            values.Add(Entry(secret!, secret!.Versions.Single(version => version.Stages.Contains("AWSCURRENT"))));
        }

        var output = new JsonObject { ["SecretValues"] = values, ["Errors"] = errors };
        if (offset + BatchPageSize < ids.Count)
        {
            output["NextToken"] = Convert.ToBase64String(Encoding.UTF8.GetBytes((offset + BatchPageSize).ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        return (200, output);
    }

    private (int, JsonObject) ListSecrets(JsonObject input)
    {
        int max = input["MaxResults"]?.GetValue<int>() ?? 100;
        var list = new JsonArray();
        foreach (FakeSecret secret in _secrets.Values.Where(secret => !secret.Deleted).Take(max))
        {
            var stages = new JsonObject();
            foreach (FakeVersion version in secret.Versions)
            {
                stages[version.VersionId] = new JsonArray(version.Stages.Select(stage => (JsonNode)JsonValue.Create(stage)!).ToArray());
            }

            list.Add(new JsonObject { ["ARN"] = secret.Arn, ["Name"] = secret.Name, ["SecretVersionsToStages"] = stages });
        }

        return (200, new JsonObject { ["SecretList"] = list });
    }

    private (string Code, string Message)? Lookup(string id, out FakeSecret? secret)
    {
        // The name lookup first keeps a batch read of thousands of secrets from scanning them all for each id.
        secret = _secrets.GetValueOrDefault(id) ?? _secrets.Values.FirstOrDefault(candidate =>
            candidate.Name == id || candidate.Arn == id || candidate.Arn.Length == id.Length + 7 && candidate.Arn.StartsWith(id + "-", StringComparison.Ordinal));
        if (Denied.Contains(id))
        {
            return ("AccessDeniedException", $"User arn:aws:iam::123456789012:user/dso may not call secretsmanager:GetSecretValue on {id}: no policy allows it.");
        }

        if (secret is null)
        {
            return ("ResourceNotFoundException", "No secret has this name or ARN.");
        }

        if (secret.Deleted)
        {
            return ("InvalidRequestException", "The secret is marked for deletion, so this operation is not allowed.");
        }

        return null;
    }

    private static JsonObject Entry(FakeSecret secret, FakeVersion version)
    {
        var entry = new JsonObject
        {
            ["ARN"] = secret.Arn,
            ["Name"] = secret.Name,
            ["VersionId"] = version.VersionId,
            ["VersionStages"] = new JsonArray(version.Stages.Select(stage => (JsonNode)JsonValue.Create(stage)!).ToArray()),
            ["CreatedDate"] = 1.767225600E9,
        };
        if (version.Text is not null)
        {
            entry["SecretString"] = version.Text;
        }

        if (version.Binary is not null)
        {
            entry["SecretBinary"] = Convert.ToBase64String(version.Binary);
        }

        return entry;
    }

    private static (int, JsonObject) Error(int status, string type, string message) =>
        (status, new JsonObject { ["__type"] = type, ["message"] = message });

    private sealed class FakeSecret(string name, string arn)
    {
        public string Name { get; } = name;

        public string Arn { get; } = arn;

        public List<FakeVersion> Versions { get; } = [];

        public bool Deleted { get; set; }
    }

    private sealed record FakeVersion(string VersionId, string? Text, byte[]? Binary, HashSet<string> Stages);
}
