namespace Dso.Agent.Providers;

/// <summary>Describes a failed connection to a provider in one line, with the cause that .NET keeps in inner exceptions.</summary>
internal static class NetworkErrors
{
    /// <summary>
    /// Joins the messages of <paramref name="error"/> and its inner exceptions, such as "The SSL connection could not
    /// be established: The remote certificate is invalid because of errors in the certificate chain: UntrustedRoot",
    /// leaving out repeated messages and the phrase "see inner exception".
    /// </summary>
    public static string Describe(Exception error)
    {
        var parts = new List<string>();
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            string message = current.Message.ReplaceLineEndings(" ").Replace(", see inner exception", "", StringComparison.OrdinalIgnoreCase).Trim().TrimEnd('.');
            if (message.Length > 0 && !parts.Contains(message, StringComparer.Ordinal))
            {
                parts.Add(message);
            }
        }

        return string.Join(": ", parts);
    }

    /// <summary>True when the connection failed in the TLS handshake, for example on an untrusted certificate.</summary>
    public static bool IsTlsFailure(Exception error)
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError } or System.Security.Authentication.AuthenticationException)
            {
                return true;
            }
        }

        return false;
    }
}
