using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security;
using System.Security.Cryptography;
using System.Text;
using System.Web;

namespace Dso.Agent.Tests.Providers.Aws;

/// <summary>
/// An STS stand-in on 127.0.0.1 that follows the service's Query API: a form-encoded POST / with
/// Action=AssumeRoleWithWebIdentity or Action=AssumeRole and Version=2011-06-15, XML responses in the
/// https://sts.amazonaws.com/doc/2011-06-15/ namespace, and XML ErrorResponse bodies with Type, Code and
/// Message. AssumeRoleWithWebIdentity is unsigned; AssumeRole must carry a valid SigV4 signature (service sts)
/// by source credentials registered with AddSourceCredentials or issued earlier. Issued credentials are registered with the
/// FakeSecretsManager given to the constructor, which then accepts them with their session token.
/// </summary>
internal sealed class FakeSts : IAsyncDisposable
{
    public const string Version = "2011-06-15";
    public const string Namespace = "https://sts.amazonaws.com/doc/2011-06-15/";

    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly FakeSecretsManager _secretsManager;
    private readonly ConcurrentDictionary<string, (string SecretKey, string? Token)> _sourceCredentials = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _webIdentityTokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, (string AccessKey, string? ExternalId)> _assumeRoleTrust = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<(int Status, string Code, string Message)> _faults = new();
    private readonly ConcurrentQueue<(int Status, string Body)> _rawReplies = new();
    private int _issued;

    public FakeSts(FakeSecretsManager secretsManager)
    {
        _secretsManager = secretsManager;
        Endpoint = LoopbackListener.Start(_listener);
        _loop = Task.Run(() => LoopbackListener.AcceptAsync(_listener, HandleAsync));
    }

    public Uri Endpoint { get; }

    /// <summary>Every request that reached the server, in order, with its form fields and whether it carried an Authorization header.</summary>
    public ConcurrentQueue<StsRequest> Requests { get; } = new();

    /// <summary>The clock for the Expiration of issued credentials and for the signature's time check.</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>How long issued credentials are valid.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>When set, each request waits for this task before its response is sent.</summary>
    public Task? Gate { get; set; }

    /// <summary>Completes when the first request arrives.</summary>
    public TaskCompletionSource FirstRequest { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The credentials issued so far, in order.</summary>
    public ConcurrentQueue<(string AccessKey, string SecretKey, string Token)> Issued { get; } = new();

    public int CountOf(string action) => Requests.Count(request => request.Action == action);

    /// <summary>Lets AssumeRoleWithWebIdentity on <paramref name="roleArn"/> succeed with <paramref name="token"/>.</summary>
    public void TrustWebIdentity(string roleArn, string token) => _webIdentityTokens[token] = roleArn;

    /// <summary>Lets the holder of <paramref name="accessKey"/> call AssumeRole on <paramref name="roleArn"/>, with the external id if one is given.</summary>
    public void TrustAssumeRole(string roleArn, string accessKey, string? externalId = null) => _assumeRoleTrust[roleArn] = (accessKey, externalId);

    public void AddSourceCredentials(string accessKey, string secretKey, string? token = null) => _sourceCredentials[accessKey] = (secretKey, token);

    /// <summary>Makes the next requests fail with this status and error code, after they were recorded.</summary>
    public void FailNext(int count, int status, string code, string message)
    {
        for (int i = 0; i < count; i++)
        {
            _faults.Enqueue((status, code, message));
        }
    }

    /// <summary>Makes the next request return this status and body as it is, as a proxy in front of STS might.</summary>
    public void ReplyNext(int status, string body) => _rawReplies.Enqueue((status, body));

    public async ValueTask DisposeAsync()
    {
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

    private async Task HandleAsync(HttpListenerContext context)
    {
        try
        {
            (int status, string body) = await AnswerAsync(context.Request).ConfigureAwait(false);
            byte[] bytes = Encoding.UTF8.GetBytes(body);
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/xml";
            context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
            context.Response.ContentLength64 = bytes.Length;
            await context.Response.OutputStream.WriteAsync(bytes).ConfigureAwait(false);
            context.Response.Close();
        }
        catch (Exception error) when (error is HttpListenerException or ObjectDisposedException or IOException)
        {
            // The client went away or the server stopped.
        }
    }

    private async Task<(int Status, string Body)> AnswerAsync(HttpListenerRequest request)
    {
        using var buffer = new MemoryStream();
        await request.InputStream.CopyToAsync(buffer).ConfigureAwait(false);
        byte[] body = buffer.ToArray();

        if (request.HttpMethod != "POST" || request.Url!.AbsolutePath != "/")
        {
            return Error(400, "InvalidAction", "Only POST / is served.");
        }

        if (request.ContentType is not { } contentType || !contentType.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return Error(400, "MalformedQueryString", $"Unexpected Content-Type {request.ContentType}.");
        }

        var form = HttpUtility.ParseQueryString(Encoding.UTF8.GetString(body));
        var fields = form.AllKeys.Where(key => key is not null).ToDictionary(key => key!, key => form[key]!, StringComparer.Ordinal);
        string action = fields.GetValueOrDefault("Action") ?? "";
        string? authorization = request.Headers["Authorization"];
        Requests.Enqueue(new StsRequest(action, fields, authorization is not null, SigV4Verifier.Parse(authorization)?.AccessKey));
        FirstRequest.TrySetResult();
        if (Gate is { } gate)
        {
            await gate.ConfigureAwait(false);
        }

        if (fields.GetValueOrDefault("Version") != Version)
        {
            return Error(400, "InvalidParameterValue", $"Version must be {Version}.");
        }

        if (_rawReplies.TryDequeue(out (int Status, string Body) raw))
        {
            return raw;
        }

        if (_faults.TryDequeue(out (int Status, string Code, string Message) fault))
        {
            return Error(fault.Status, fault.Code, fault.Message);
        }

        return action switch
        {
            "AssumeRoleWithWebIdentity" => AssumeRoleWithWebIdentity(fields),
            "AssumeRole" => CheckSignature(request, body) ?? AssumeRole(fields, SigV4Verifier.Parse(authorization)!.AccessKey),
            _ => Error(400, "InvalidAction", $"The action {action} is not valid for this web service."),
        };
    }

    private (int, string) AssumeRoleWithWebIdentity(Dictionary<string, string> fields)
    {
        if (Missing(fields, "RoleArn", "RoleSessionName", "WebIdentityToken") is { } missing)
        {
            return missing;
        }

        if (!_webIdentityTokens.TryGetValue(fields["WebIdentityToken"], out string? roleArn))
        {
            return Error(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements");
        }

        if (roleArn != fields["RoleArn"])
        {
            return Error(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");
        }

        return Success("AssumeRoleWithWebIdentity", fields, "<SubjectFromWebIdentityToken>system:serviceaccount:dso:agent</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com</Audience><Provider>oidc.example.test</Provider>");
    }

    private (int, string) AssumeRole(Dictionary<string, string> fields, string accessKey)
    {
        if (Missing(fields, "RoleArn", "RoleSessionName") is { } missing)
        {
            return missing;
        }

        string roleArn = fields["RoleArn"];
        if (!_assumeRoleTrust.TryGetValue(roleArn, out (string AccessKey, string? ExternalId) trust)
            || trust.AccessKey != accessKey
            || trust.ExternalId is not null && fields.GetValueOrDefault("ExternalId") != trust.ExternalId)
        {
            return Error(403, "AccessDenied", $"User: arn:aws:iam::123456789012:user/dso is not authorized to perform: sts:AssumeRole on resource: {roleArn}");
        }

        return Success("AssumeRole", fields, "");
    }

    private (int, string)? CheckSignature(HttpListenerRequest request, byte[] body)
    {
        SigV4Verifier.AuthorizationHeader? authorization = SigV4Verifier.Parse(request.Headers["Authorization"]);
        if (authorization is null)
        {
            return Error(400, "MissingAuthenticationToken", "Request is missing Authentication Token");
        }

        if (!_sourceCredentials.TryGetValue(authorization.AccessKey, out (string SecretKey, string? Token) known) || request.Headers["X-Amz-Security-Token"] != known.Token)
        {
            return Error(403, "InvalidClientTokenId", "The security token included in the request is invalid.");
        }

        string amzDate = request.Headers["X-Amz-Date"] ?? "";
        if (!SigV4Verifier.TryParseAmzDate(amzDate, out DateTimeOffset signedAt) || amzDate[..8] != authorization.Date
            || (Clock.GetUtcNow() - signedAt).Duration() > TimeSpan.FromMinutes(5))
        {
            return Error(403, "SignatureDoesNotMatch", "Signature expired or X-Amz-Date is not the date of the credential scope.");
        }

        string[] required = known.Token is null ? ["host", "x-amz-date"] : ["host", "x-amz-date", "x-amz-security-token"];
        if (required.Any(name => !authorization.SignedHeaders.Contains(name)) || authorization.Service != "sts" || authorization.Region != FakeSecretsManager.Region)
        {
            return Error(403, "SignatureDoesNotMatch", $"SignedHeaders must include {string.Join(", ", required)}, and the scope must be {FakeSecretsManager.Region}/sts.");
        }

        string expected = SigV4Verifier.ComputeSignature(
            request.HttpMethod, request.Url!.AbsolutePath, "", request.Headers, authorization.SignedHeaders, body,
            amzDate, authorization.Region, authorization.Service, known.SecretKey);
        return expected == authorization.Signature
            ? null
            : Error(403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.");
    }

    private (int, string) Success(string action, Dictionary<string, string> fields, string extra)
    {
        int number = Interlocked.Increment(ref _issued);
        string accessKey = $"ASIADSOSTS{number:D10}";
        string secretKey = $"stsSecret/{Convert.ToHexString(RandomNumberGenerator.GetBytes(16))}";
        string token = $"stsSession/{Convert.ToBase64String(RandomNumberGenerator.GetBytes(48))}";
        string expiration = (Clock.GetUtcNow() + Lifetime).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        _secretsManager.AddCredentials(accessKey, secretKey, token);

        // A role session may assume another role (role chaining), so STS accepts its own credentials too.
        _sourceCredentials[accessKey] = (secretKey, token);
        Issued.Enqueue((accessKey, secretKey, token));

        string roleName = fields["RoleArn"][(fields["RoleArn"].LastIndexOf('/') + 1)..];
        string session = fields["RoleSessionName"];
        string body =
            $"<{action}Response xmlns=\"{Namespace}\">"
            + $"<{action}Result>{extra}"
            + $"<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/{Escape(roleName)}/{Escape(session)}</Arn><AssumedRoleId>AROADSOTESTROLE000001:{Escape(session)}</AssumedRoleId></AssumedRoleUser>"
            + $"<Credentials><AccessKeyId>{accessKey}</AccessKeyId><SecretAccessKey>{Escape(secretKey)}</SecretAccessKey><SessionToken>{Escape(token)}</SessionToken><Expiration>{expiration}</Expiration></Credentials>"
            + $"</{action}Result>"
            + $"<ResponseMetadata><RequestId>{Guid.NewGuid()}</RequestId></ResponseMetadata>"
            + $"</{action}Response>";
        return (200, body);
    }

    private static (int, string)? Missing(Dictionary<string, string> fields, params string[] names) =>
        names.FirstOrDefault(name => string.IsNullOrEmpty(fields.GetValueOrDefault(name))) is { } missing
            ? Error(400, "MissingParameter", $"The request must contain the parameter {missing}")
            : null;

    private static (int, string) Error(int status, string code, string message) =>
        (status,
            $"<ErrorResponse xmlns=\"{Namespace}\">"
            + $"<Error><Type>{(status >= 500 ? "Receiver" : "Sender")}</Type><Code>{Escape(code)}</Code><Message>{Escape(message)}</Message></Error>"
            + $"<RequestId>{Guid.NewGuid()}</RequestId>"
            + "</ErrorResponse>");

    private static string Escape(string text) => SecurityElement.Escape(text);

    /// <summary>One request: its Action, its form fields, whether it was signed, and the access key that signed it.</summary>
    public sealed record StsRequest(string Action, IReadOnlyDictionary<string, string> Fields, bool Signed, string? AccessKey);
}
