using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dso.Agent.Configuration;

namespace Dso.Agent.Providers.Azure;

/// <summary>
/// The HttpClient that the Key Vault client and the credential share. With ca_file, a server certificate
/// that the system does not trust is accepted when it chains to one of the file's CA certificates. The host
/// name is checked either way.
/// </summary>
internal static class AzureHttpTransport
{
    public static HttpClient Create(AzureProviderConfig config, AzureClientSettings settings)
    {
        var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (config.CaFile is { } caFile)
        {
            X509Certificate2Collection authorities = LoadAuthorities(config.Name, caFile);
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                IsTrusted(certificate as X509Certificate2, chain, errors, authorities);
        }

        HttpMessageHandler outer = settings.WrapHandler?.Invoke(handler) ?? handler;

        // ProviderResilience bounds each attempt, so the client itself never times out.
        return new HttpClient(outer, disposeHandler: true) { Timeout = Timeout.InfiniteTimeSpan };
    }

    private static X509Certificate2Collection LoadAuthorities(string provider, string caFile)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(caFile);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ProviderException(provider, ProviderErrorKind.Invalid, $"Provider {provider}: ca_file {caFile} cannot be read as PEM certificates: {error.Message}", error);
        }

        if (authorities.Count == 0)
        {
            throw new ProviderException(provider, ProviderErrorKind.Invalid, $"Provider {provider}: ca_file {caFile} contains no PEM certificate (-----BEGIN CERTIFICATE-----).");
        }

        return authorities;
    }

    private static bool IsTrusted(X509Certificate2? certificate, X509Chain? presented, SslPolicyErrors errors, X509Certificate2Collection authorities)
    {
        if (errors == SslPolicyErrors.None)
        {
            return true;
        }

        if (certificate is null || errors != SslPolicyErrors.RemoteCertificateChainErrors)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (X509ChainElement element in presented.ChainElements)
            {
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        return chain.Build(certificate);
    }
}
