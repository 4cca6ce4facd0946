using System.Collections.Specialized;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Dso.Agent.Tests.Providers.Aws;

/// <summary>
/// Checks the Authorization header of a request the way AWS does, written from the Signature Version 4
/// documentation: canonical request, string to sign, derived signing key, then HMAC-SHA256. It shares no code
/// with the signer under test.
/// </summary>
internal static class SigV4Verifier
{
    private const string Algorithm = "AWS4-HMAC-SHA256";

    /// <summary>The parts of an Authorization header: Credential=AKID/date/region/service/aws4_request, SignedHeaders, Signature.</summary>
    public sealed record AuthorizationHeader(string AccessKey, string Date, string Region, string Service, IReadOnlyList<string> SignedHeaders, string Signature);

    public static AuthorizationHeader? Parse(string? header)
    {
        if (header is null || !header.StartsWith(Algorithm + " ", StringComparison.Ordinal))
        {
            return null;
        }

        var parts = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string part in header[(Algorithm.Length + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals > 0)
            {
                parts[part[..equals]] = part[(equals + 1)..];
            }
        }

        if (!parts.TryGetValue("Credential", out string? credential)
            || !parts.TryGetValue("SignedHeaders", out string? signedHeaders)
            || !parts.TryGetValue("Signature", out string? signature))
        {
            return null;
        }

        string[] scope = credential.Split('/');
        if (scope.Length != 5 || scope[4] != "aws4_request")
        {
            return null;
        }

        return new AuthorizationHeader(scope[0], scope[1], scope[2], scope[3], signedHeaders.Split(';'), signature);
    }

    /// <summary>Computes the signature that a request with these headers and body must carry.</summary>
    public static string ComputeSignature(
        string method,
        string path,
        string query,
        NameValueCollection headers,
        IReadOnlyList<string> signedHeaders,
        byte[] body,
        string amzDate,
        string region,
        string service,
        string secretKey)
    {
        // 1. Canonical request: method, URI, query, "name:value" lines of the signed headers, their names, body hash.
        var canonical = new StringBuilder();
        canonical.Append(method).Append('\n');
        canonical.Append(path).Append('\n');
        canonical.Append(query).Append('\n');
        foreach (string name in signedHeaders)
        {
            string value = string.Join(',', headers.GetValues(name) ?? []);
            canonical.Append(name).Append(':').Append(CollapseSpaces(value.Trim())).Append('\n');
        }

        canonical.Append('\n');
        canonical.Append(string.Join(';', signedHeaders)).Append('\n');
        canonical.Append(Hex(SHA256.HashData(body)));

        // 2. String to sign: algorithm, request time, credential scope, hash of the canonical request.
        string date = amzDate[..8];
        string scope = $"{date}/{region}/{service}/aws4_request";
        string stringToSign = $"{Algorithm}\n{amzDate}\n{scope}\n{Hex(SHA256.HashData(Encoding.UTF8.GetBytes(canonical.ToString())))}";

        // 3. Signing key: HMAC chain over date, region, service and the terminator, keyed first by "AWS4" + secret.
        byte[] key = Hmac(Encoding.UTF8.GetBytes("AWS4" + secretKey), date);
        key = Hmac(key, region);
        key = Hmac(key, service);
        key = Hmac(key, "aws4_request");

        // 4. Signature: HMAC of the string to sign, in lower-case hex.
        return Hex(Hmac(key, stringToSign));
    }

    public static bool TryParseAmzDate(string? value, out DateTimeOffset time) =>
        DateTimeOffset.TryParseExact(value, "yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out time);

    private static byte[] Hmac(byte[] key, string data) => HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(data));

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static string CollapseSpaces(string value)
    {
        var builder = new StringBuilder(value.Length);
        bool previousSpace = false;
        foreach (char character in value)
        {
            bool space = character == ' ';
            if (!space || !previousSpace)
            {
                builder.Append(character);
            }

            previousSpace = space;
        }

        return builder.ToString();
    }
}
