using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;

namespace Dso.Agent.Tests.Providers.Aws;

/// <summary>
/// The EC2 instance metadata service (IMDSv2) on 127.0.0.1, for the instance-role step of the credential chain.
/// PUT /latest/api/token issues a session token. With that token, GET /latest/meta-data/iam/security-credentials
/// (with or without the final slash) names the role, GET .../ROLE returns its temporary credentials, and GET
/// /latest/meta-data/iam/info describes the instance profile. A request without a valid token gets 401, as on
/// an instance with IMDSv1 turned off.
/// </summary>
internal sealed class FakeInstanceMetadata : IDisposable
{
    public const string RoleName = "dso-instance-role";
    private const string CredentialsPath = "/latest/meta-data/iam/security-credentials/";

    private readonly HttpListener _listener = new();
    private readonly ConcurrentDictionary<string, bool> _tokens = new(StringComparer.Ordinal);
    private readonly string _accessKey;
    private readonly string _secretKey;
    private readonly string _sessionToken;

    public FakeInstanceMetadata(string accessKey, string secretKey, string sessionToken)
    {
        _accessKey = accessKey;
        _secretKey = secretKey;
        _sessionToken = sessionToken;
        Endpoint = LoopbackListener.Start(_listener);
        _ = Task.Run(() => LoopbackListener.AcceptAsync(_listener, ServeAsync));
    }

    public Uri Endpoint { get; }

    /// <summary>Method and path of every request, in arrival order.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public int CredentialRequests => Requests.Count(request => request == $"GET {CredentialsPath}{RoleName}");

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
    }

    private async Task ServeAsync(HttpListenerContext context)
    {
        (int status, string contentType, string body) = Answer(context.Request);
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.ContentLength64 = bytes.Length;
        await context.Response.OutputStream.WriteAsync(bytes);
        context.Response.Close();
    }

    private (int Status, string ContentType, string Body) Answer(HttpListenerRequest request)
    {
        string path = request.Url!.AbsolutePath;
        Requests.Enqueue($"{request.HttpMethod} {path}");
        if (request.HttpMethod == "PUT" && path == "/latest/api/token")
        {
            if (!int.TryParse(request.Headers["X-aws-ec2-metadata-token-ttl-seconds"], NumberStyles.None, CultureInfo.InvariantCulture, out int ttl) || ttl is < 1 or > 21600)
            {
                return (400, "text/plain", "");
            }

            string token = "imds-session-" + Guid.NewGuid().ToString("N");
            _tokens[token] = true;
            return (200, "text/plain", token);
        }

        if (request.HttpMethod != "GET" || request.Headers["X-aws-ec2-metadata-token"] is not { } presented || !_tokens.ContainsKey(presented))
        {
            return (401, "text/plain", "");
        }

        string now = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return path switch
        {
            CredentialsPath or "/latest/meta-data/iam/security-credentials" => (200, "text/plain", RoleName),
            CredentialsPath + RoleName => (200, "text/plain", new JsonObject
            {
                ["Code"] = "Success",
                ["LastUpdated"] = now,
                ["Type"] = "AWS-HMAC",
                ["AccessKeyId"] = _accessKey,
                ["SecretAccessKey"] = _secretKey,
                ["Token"] = _sessionToken,
                ["Expiration"] = DateTimeOffset.UtcNow.AddHours(6).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            }.ToJsonString()),
            "/latest/meta-data/iam/info" => (200, "text/plain", new JsonObject
            {
                ["Code"] = "Success",
                ["LastUpdated"] = now,
                ["InstanceProfileArn"] = $"arn:aws:iam::123456789012:instance-profile/{RoleName}",
                ["InstanceProfileId"] = "AIPADSOINSTANCEPROFILE",
            }.ToJsonString()),
            _ => (404, "text/plain", ""),
        };
    }
}
