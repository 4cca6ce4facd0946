using System.Net;
using System.Text.Json;
using Azure;
using Azure.Identity;
using Microsoft.Identity.Client;

namespace Dso.Agent.Providers.Azure;

/// <summary>
/// Turns an exception of the Azure SDK into a <see cref="ProviderException"/> whose kind decides retries and
/// health. Messages are built here from the status, the error code and the names involved. The SDK's own
/// message is not copied because it can contain a response body.
/// </summary>
internal static class AzureErrors
{
    /// <summary>
    /// True for the SDK's failure exceptions. Cancellation is not one of them, because only the caller knows
    /// whether the attempt's timeout caused it; <see cref="Classify"/> treats any other cancellation as a timeout.
    /// </summary>
    public static bool IsSdkFailure(Exception error) =>
        error is RequestFailedException or AuthenticationFailedException
            or JsonException or FormatException or HttpRequestException or InvalidOperationException;

    /// <param name="provider">The provider's name in dso.yaml.</param>
    /// <param name="operation">Method and URL of the call, such as "GET https://v.vault.azure.net/secrets/db".</param>
    /// <param name="subject">What the call was about, such as "secret path shop/db (Key Vault name shop--2fdb)".</param>
    public static ProviderException Classify(string provider, string operation, string subject, Exception error) => error switch
    {
        RequestFailedException failed => FromResponse(provider, operation, subject, failed),
        CredentialUnavailableException unavailable => new ProviderException(
            provider,
            ProviderErrorKind.Unauthenticated,
            $"Provider {provider}: {operation} for {subject} failed: no Azure credential is available ({unavailable.Message}). Set tenant_id, client_id and client_secret, or managed_identity: true, or the AZURE_* variables in /etc/dso/agent.env.",
            error),
        AuthenticationFailedException failed => FromAuthentication(provider, operation, subject, failed),
        HttpRequestException request => Unreachable(provider, operation, subject, request),
        OperationCanceledException => new ProviderException(
            provider,
            ProviderErrorKind.Unavailable,
            $"Provider {provider}: {operation} for {subject} timed out in the Azure SDK's network timeout. dso retries with backoff.",
            error),
        _ => new ProviderException(
            provider,
            ProviderErrorKind.Invalid,
            $"Provider {provider}: {operation} for {subject} returned a response dso cannot read ({error.GetType().Name}). Check that vault_url names an Azure Key Vault.",
            error),
    };

    private static ProviderException FromResponse(string provider, string operation, string subject, RequestFailedException error)
    {
        if (error.Status == 0)
        {
            return Unreachable(provider, operation, subject, error);
        }

        string code = error.ErrorCode ?? "no error code";
        string? innerCode = InnerErrorCode(error);
        string status = $"HTTP {error.Status} {(HttpStatusCode)error.Status} (error code {code}{(innerCode is null ? "" : $"/{innerCode}")})";
        (ProviderErrorKind kind, string advice) = error.Status switch
        {
            401 => (ProviderErrorKind.Unauthenticated, "Key Vault rejected the token; check tenant_id, client_id and client_secret, or the managed identity."),
            403 when innerCode == "SecretDisabled" => (ProviderErrorKind.Deleted, "the secret's current version is disabled. Enable it, or set a new version, in the key vault."),
            403 => (ProviderErrorKind.AccessDenied, "the identity may not read secrets in this key vault. Grant it the Key Vault Secrets User role, or get and list permissions on secrets."),
            // NOTE: a soft-deleted secret also returns 404 SecretNotFound. Telling it apart takes GET /deletedsecrets/{name},
            // which returns the value and needs a permission readers rarely have, so both count as NotFound.
            404 => (ProviderErrorKind.NotFound, "the secret or version does not exist. Create it, or recover it if it was deleted (az keyvault secret recover), or fix the path in dso.yaml."),
            429 => (ProviderErrorKind.Throttled, "Key Vault is throttling requests; dso retries with backoff."),
            408 or >= 500 => (ProviderErrorKind.Unavailable, "Key Vault failed; dso retries with backoff."),
            _ => (ProviderErrorKind.Invalid, "this is not a response dso expects from Key Vault. Check vault_url."),
        };
        return new ProviderException(provider, kind, $"Provider {provider}: {operation} for {subject} returned {status}: {advice}", error)
        {
            StatusCode = error.Status,
        };
    }

    private static ProviderException FromAuthentication(string provider, string operation, string subject, AuthenticationFailedException error)
    {
        Exception? cause = error.InnerException;
        if (FindInner<MsalServiceException>(error) is { } service)
        {
            ProviderErrorKind kind = service.StatusCode switch
            {
                429 => ProviderErrorKind.Throttled,
                >= 500 => ProviderErrorKind.Unavailable,
                _ => ProviderErrorKind.Unauthenticated,
            };
            string advice = kind == ProviderErrorKind.Unauthenticated
                ? "Check tenant_id, client_id and client_secret (an expired client secret looks the same), or authority_host."
                : "dso retries with backoff.";
            return new ProviderException(
                provider,
                kind,
                $"Provider {provider}: {operation} for {subject} failed: Microsoft Entra ID returned HTTP {service.StatusCode} ({service.ErrorCode}) for the token request. {advice}",
                error)
            {
                StatusCode = service.StatusCode,
            };
        }

        if (FindInner<HttpRequestException>(error) is { } request)
        {
            return Unreachable(provider, "the token request to Microsoft Entra ID", subject, request, error);
        }

        if (FindInner<RequestFailedException>(error) is { Status: 0 } failed)
        {
            return Unreachable(provider, "the token request to Microsoft Entra ID", subject, failed, error);
        }

        string reason = cause is null ? "no reason given" : cause.GetType().Name;
        return new ProviderException(
            provider,
            ProviderErrorKind.Unauthenticated,
            $"Provider {provider}: {operation} for {subject} failed: no token could be obtained ({reason}). Check the credential settings and authority_host.",
            error);
    }

    private static ProviderException Unreachable(string provider, string operation, string subject, Exception cause, Exception? outer = null)
    {
        string detail = FindInner<HttpRequestException>(cause) is { } request
            ? $"{request.HttpRequestError}: {NetworkErrors.Describe(request)}"
            : cause.GetType().Name;
        bool tokenRequest = operation.StartsWith("the token request", StringComparison.Ordinal);
        string advice = NetworkErrors.IsTlsFailure(cause)
            ? $"Check that ca_file names the CA that signed the server's certificate and that the certificate is valid for the {(tokenRequest ? "authority_host" : "vault_url")} name; dso retries with backoff."
            : tokenRequest
                ? "Check authority_host and the network; dso retries with backoff."
                : "Check vault_url and the network; dso retries with backoff.";
        return new ProviderException(
            provider,
            ProviderErrorKind.Unavailable,
            $"Provider {provider}: {operation} for {subject} failed before a response arrived ({detail}). {advice}",
            outer ?? cause);
    }

    private static T? FindInner<T>(Exception error)
        where T : Exception
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is T match)
            {
                return match;
            }
        }

        return null;
    }

    /// <summary>Reads error.innererror.code of a Key Vault error body, such as SecretDisabled.</summary>
    private static string? InnerErrorCode(RequestFailedException error)
    {
        if (error.GetRawResponse()?.Content is not { } content)
        {
            return null;
        }

        try
        {
            using JsonDocument body = JsonDocument.Parse(content.ToMemory());
            return body.RootElement.TryGetProperty("error", out JsonElement outer)
                && (outer.TryGetProperty("innererror", out JsonElement inner) || outer.TryGetProperty("innerError", out inner))
                && inner.TryGetProperty("code", out JsonElement code)
                && code.ValueKind == JsonValueKind.String
                ? code.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
