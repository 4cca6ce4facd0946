namespace Dso.Agent.Providers.Aws;

/// <summary>Maps Secrets Manager error codes and HTTP statuses to <see cref="ProviderErrorKind"/>, with what to do next.</summary>
internal static class SecretsManagerErrors
{
    private static readonly HashSet<string> ThrottlingCodes = new(StringComparer.Ordinal)
    {
        "ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled",
        "RequestThrottledException", "ProvisionedThroughputExceededException", "SlowDown",
    };

    private static readonly HashSet<string> AuthenticationCodes = new(StringComparer.Ordinal)
    {
        "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "ExpiredToken",
        "IncompleteSignature", "IncompleteSignatureException", "MissingAuthenticationToken",
        "MissingAuthenticationTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch", "RequestExpired",
    };

    /// <summary>
    /// Returns the short error code of an __type value: "com.amazonaws.secretsmanager#ResourceNotFoundException"
    /// and "ResourceNotFoundException:http://..." both become "ResourceNotFoundException".
    /// </summary>
    public static string? ShortCode(string? type)
    {
        if (string.IsNullOrEmpty(type))
        {
            return null;
        }

        int hash = type.LastIndexOf('#');
        string code = hash >= 0 ? type[(hash + 1)..] : type;
        int colon = code.IndexOf(':', StringComparison.Ordinal);
        return colon >= 0 ? code[..colon] : code;
    }

    /// <param name="status">The HTTP status, or null for an entry of a BatchGetSecretValue Errors list.</param>
    public static ProviderErrorKind Classify(int? status, string? code, string? message)
    {
        if (code is not null && ThrottlingCodes.Contains(code) || status == 429)
        {
            return ProviderErrorKind.Throttled;
        }

        if (status >= 500 || code is "InternalServiceError" or "InternalFailure" or "ServiceUnavailable")
        {
            return ProviderErrorKind.Unavailable;
        }

        return code switch
        {
            "AccessDeniedException" or "AccessDenied" => ProviderErrorKind.AccessDenied,
            "DecryptionFailure" => ProviderErrorKind.AccessDenied,
            "ResourceNotFoundException" => ProviderErrorKind.NotFound,
            "InvalidRequestException" when IsAboutDeletion(message) => ProviderErrorKind.Deleted,
            not null when AuthenticationCodes.Contains(code) => ProviderErrorKind.Unauthenticated,
            null when status == 401 => ProviderErrorKind.Unauthenticated,
            null when status == 403 => ProviderErrorKind.AccessDenied,
            null when status == 404 => ProviderErrorKind.NotFound,
            _ => ProviderErrorKind.Invalid,
        };
    }

    /// <summary>Returns the next step for the operator, as a sentence.</summary>
    public static string Advice(ProviderErrorKind kind, string operation, string? code, Uri endpoint) => kind switch
    {
        ProviderErrorKind.NotFound =>
            "Check the secret's path in dso.yaml (a name or an ARN) and that the provider's region is the secret's region.",
        ProviderErrorKind.Deleted =>
            "The secret is scheduled for deletion: restore it (aws secretsmanager restore-secret) or point the path at another secret.",
        ProviderErrorKind.AccessDenied when code == "DecryptionFailure" =>
            "Allow the agent's IAM identity kms:Decrypt on the secret's KMS key.",
        ProviderErrorKind.AccessDenied =>
            $"Allow the agent's IAM identity secretsmanager:{operation} on the secret (and kms:Decrypt on its KMS key if it uses a customer-managed key).",
        ProviderErrorKind.Unauthenticated =>
            "Check the agent's AWS credentials (access key, secret key, session token or profile), renew expired ones, and check the host's clock.",
        ProviderErrorKind.Throttled =>
            "dso retries with backoff; if this repeats, raise agent.poll_interval or lower the number of secrets per provider.",
        ProviderErrorKind.Unavailable =>
            $"dso retries with backoff; if this repeats, check that {endpoint} is reachable from this host.",
        _ => "Check the provider's endpoint and the secret's path in dso.yaml.",
    };

    // Secrets Manager answers InvalidRequestException for a call on a secret that is marked for deletion
    // ("... because it was marked for deletion") and for other invalid requests; only the message tells them apart.
    private static bool IsAboutDeletion(string? message) =>
        message is not null && message.Contains("delet", StringComparison.OrdinalIgnoreCase);
}
