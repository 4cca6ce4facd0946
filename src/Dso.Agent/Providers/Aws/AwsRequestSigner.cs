using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;

namespace Dso.Agent.Providers.Aws;

/// <summary>
/// Signs a Secrets Manager call with Signature Version 4. The canonical request of a JSON-protocol call is
/// built here, because the SDK builds its own only from an SDK request object; the string to sign, the derived
/// signing key and the signature come from the SDK's <see cref="AWS4Signer"/>.
/// </summary>
internal static class AwsRequestSigner
{
    public const string Service = "secretsmanager";

    public const string ContentType = "application/x-amz-json-1.1";

    /// <summary>
    /// Adds X-Amz-Date, X-Amz-Security-Token (for session credentials) and Authorization to a request whose
    /// Content-Type, Host and X-Amz-Target headers hold the values given here.
    /// </summary>
    public static void Sign(
        HttpRequestMessage request,
        ReadOnlySpan<byte> body,
        string host,
        string target,
        string region,
        ImmutableCredentials credentials,
        DateTime signedAtUtc)
    {
        string amzDate = signedAtUtc.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

        // Signed headers in lower case, sorted by name, as the canonical request lists them.
        var headers = new SortedDictionary<string, string>(StringComparer.Ordinal)
        {
            ["content-type"] = ContentType,
            ["host"] = host,
            ["x-amz-date"] = amzDate,
            ["x-amz-target"] = target,
        };
        if (credentials.UseToken)
        {
            headers["x-amz-security-token"] = credentials.Token;
        }

        string signedHeaders = string.Join(';', headers.Keys);
        var canonicalRequest = new StringBuilder();
        canonicalRequest.Append(request.Method.Method).Append('\n');
        canonicalRequest.Append(request.RequestUri!.AbsolutePath).Append('\n');
        canonicalRequest.Append('\n');
        foreach ((string name, string value) in headers)
        {
            canonicalRequest.Append(name).Append(':').Append(value.Trim()).Append('\n');
        }

        canonicalRequest.Append('\n').Append(signedHeaders).Append('\n');
        canonicalRequest.Append(Convert.ToHexStringLower(SHA256.HashData(body)));

        AWS4SigningResult signature = AWS4Signer.ComputeSignature(
            credentials, region, signedAtUtc, Service, signedHeaders, canonicalRequest.ToString());

        request.Headers.TryAddWithoutValidation("X-Amz-Date", amzDate);
        if (credentials.UseToken)
        {
            request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", credentials.Token);
        }

        request.Headers.TryAddWithoutValidation("Authorization", signature.ForAuthorizationHeader);
    }
}
