using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Dso.Agent.Configuration;
using Dso.Agent.Providers;
using Dso.Agent.Providers.HashiCorp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using static Dso.Agent.Tests.Providers.HashiCorp.VaultTestSetup;

namespace Dso.Agent.Tests.Providers.HashiCorp;

/// <summary>Retries, timeouts, TLS trust, and the rule that no token or value reaches a message or a log line.</summary>
public sealed class VaultProviderTransportTests
{
    [Theory]
    [InlineData(429, "request path \"secret/data/db\": rate limit quota exceeded")]
    [InlineData(503, "Vault is sealed")]
    public async Task FetchAsync_TransientStatusTwice_RetriesThenSucceeds(int status, string error)
    {
        await using FakeVaultServer server = NewServer();
        server.FailNext("/v1/secret/data/db", status, error, times: 2);
        await using VaultProvider provider = Create(TokenConfig(server.Address), TimeProvider.System);

        using SecretPayload payload = await provider.FetchAsync("db", null, CancellationToken.None);

        Assert.Equal(SecretJson, Text(payload));
        Assert.Equal(3, server.Count("GET", "/v1/secret/data/db"));
        Assert.True(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task FetchAsync_SealedVault_ThrowsUnavailableAfterRetries()
    {
        await using FakeVaultServer server = NewServer();
        server.FailNext("/v1/secret/data/db", 503, "Vault is sealed", times: 10);
        await using VaultProvider provider = Create(TokenConfig(server.Address), TimeProvider.System);

        var error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unavailable, error.Kind);
        Assert.True(error.IsTransient);
        Assert.Equal(503, error.StatusCode);
        Assert.Equal(
            $"Provider {ProviderName}: GET /v1/secret/data/db returned HTTP 503 (Vault is sealed). Vault is sealed: unseal it (vault operator unseal); the call is retried with backoff.",
            error.Message);
        Assert.Equal(FastRetries.MaxRetries + 1, server.Count("GET", "/v1/secret/data/db"));
    }

    [Fact]
    public async Task FetchAsync_SlowServer_TimesOutPerCall()
    {
        await using FakeVaultServer server = NewServer();
        server.Stall("/v1/secret/data/slow");
        ProviderResilienceOptions resilience = FastRetries with { AttemptTimeout = TimeSpan.FromMilliseconds(300), MaxRetries = 1 };
        await using VaultProvider provider = Create(TokenConfig(server.Address) with { KvVersion = 2 }, TimeProvider.System, resilience: resilience);

        var error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("slow", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unavailable, error.Kind);
        Assert.StartsWith($"Provider {ProviderName}: GET /v1/secret/data/slow timed out after 0.3 s on the last of 2 attempts.", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, server.Count("GET", "/v1/secret/data/slow"));
    }

    [Fact]
    public async Task FetchAsync_NothingListening_ThrowsUnavailableNamingAddress()
    {
        var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        int port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
        await using VaultProvider provider = Create(TokenConfig(new Uri($"http://127.0.0.1:{port}")), TimeProvider.System, resilience: FastRetries with { MaxRetries = 1 });

        var error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unavailable, error.Kind);
        Assert.StartsWith($"Provider {ProviderName}: GET /v1/auth/token/lookup-self failed:", error.Message, StringComparison.Ordinal);
        Assert.Contains("Check that address is right", error.Message, StringComparison.Ordinal);
        Assert.True(provider.Health.IsHealthy);
    }

    [Fact]
    public async Task Tls_CaFile_TrustsServerCertificateSignedByIt()
    {
        using TlsFixture tls = TlsFixture.Create();
        await using FakeVaultServer server = NewServer(tls.ServerCertificate);
        await using VaultProvider provider = Create(TokenConfig(server.Address) with { CaFile = tls.CaFile }, TimeProvider.System);

        using SecretPayload payload = await provider.FetchAsync("db", null, CancellationToken.None);

        Assert.Equal("https", server.Address.Scheme);
        Assert.Equal(SecretJson, Text(payload));
    }

    [Fact]
    public async Task Tls_CaFileOfOtherCa_RejectsServer()
    {
        using TlsFixture tls = TlsFixture.Create();
        using TlsFixture other = TlsFixture.Create();
        await using FakeVaultServer server = NewServer(tls.ServerCertificate);
        await using VaultProvider provider = Create(TokenConfig(server.Address) with { CaFile = other.CaFile }, TimeProvider.System, resilience: FastRetries with { MaxRetries = 0 });

        var error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unavailable, error.Kind);
        Assert.Contains("GET /v1/auth/token/lookup-self failed", error.Message, StringComparison.Ordinal);
        Assert.Contains("Check that ca_file names the CA", error.Message, StringComparison.Ordinal);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Tls_NoCaFile_RejectsUnknownCa()
    {
        using TlsFixture tls = TlsFixture.Create();
        await using FakeVaultServer server = NewServer(tls.ServerCertificate);
        await using VaultProvider provider = Create(TokenConfig(server.Address), TimeProvider.System, resilience: FastRetries with { MaxRetries = 0 });

        var error = await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db", null, CancellationToken.None));

        Assert.Equal(ProviderErrorKind.Unavailable, error.Kind);
        Assert.Empty(server.Requests);
    }

    [Fact]
    public async Task Tls_SkipVerify_AcceptsServerAndWarns()
    {
        using TlsFixture tls = TlsFixture.Create();
        await using FakeVaultServer server = NewServer(tls.ServerCertificate);
        var logs = new CapturingLoggerFactory();
        await using VaultProvider provider = Create(TokenConfig(server.Address) with { TlsSkipVerify = true }, TimeProvider.System, logs);

        using SecretPayload payload = await provider.FetchAsync("db", null, CancellationToken.None);

        Assert.Equal(SecretJson, Text(payload));
        Assert.Contains(logs.Entries, entry => entry.Level == LogLevel.Warning && entry.Text.Contains("tls_skip_verify is true", StringComparison.Ordinal));
    }

    [Fact]
    public void CaFile_WithoutCertificate_IsRejectedAtCreation()
    {
        string directory = Directory.CreateTempSubdirectory("dso-vault-ca-").FullName;
        try
        {
            string caFile = Path.Combine(directory, "ca.pem");
            File.WriteAllText(caFile, "not a certificate\n");

            var error = Assert.Throws<ProviderException>(() => Create(TokenConfig(new Uri("https://127.0.0.1:1")) with { CaFile = caFile }, TimeProvider.System));

            Assert.Equal(ProviderErrorKind.Invalid, error.Kind);
            Assert.Contains($"ca_file {caFile} contains no PEM certificate", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task TokenAuth_MessagesAndLogs_CarryNoTokenOrValue()
    {
        var logs = new CapturingLoggerFactory();
        var texts = new List<string>();
        await using FakeVaultServer server = NewServer();
        server.Put("secret", "deleted", SecretJson);
        server.DeleteVersion("secret", "deleted", 1);
        server.Deny("/v1/secret/metadata/denied");
        server.FailNext("/v1/secret/data/sealed", 503, "Vault is sealed", times: 10);
        server.FailNext("/v1/secret/data/echo", 400, $"invalid request header X-Vault-Token: {Token}", times: 1);
        await using VaultProvider provider = Create(TokenConfig(server.Address), TimeProvider.System, logs);

        using (SecretPayload payload = await provider.FetchAsync("db", null, CancellationToken.None))
        {
            texts.Add(payload.ToString());
        }

        IReadOnlyDictionary<string, VersionLookup> versions = await provider.GetCurrentVersionsAsync(["db", "denied", "missing", "deleted"], CancellationToken.None);
        texts.AddRange(versions.Values.Where(lookup => !lookup.Succeeded).Select(lookup => lookup.Error!.ToString()));
        foreach (string path in new[] { "deleted", "sealed", "echo", "missing" })
        {
            texts.Add((await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync(path, null, CancellationToken.None))).ToString());
        }

        server.RevokeToken(Token);
        texts.AddRange((await provider.GetCurrentVersionsAsync(["db"], CancellationToken.None)).Values.Select(lookup => lookup.Error!.ToString()));
        texts.Add((await Assert.ThrowsAsync<ProviderException>(() => provider.FetchAsync("db", null, CancellationToken.None))).ToString());
        texts.Add(provider.Health.Reason!);
        texts.AddRange(logs.Entries.Select(entry => entry.Text));

        Assert.Contains(texts, text => text.Contains("[redacted]", StringComparison.Ordinal));
        Assert.True(texts.Count > 10, $"only {texts.Count} texts were collected");
        Assert.DoesNotContain(texts, text => text.Contains(Token, StringComparison.Ordinal));
        Assert.DoesNotContain(texts, text => text.Contains(SecretValue, StringComparison.Ordinal));
    }

    [Fact]
    public async Task AppRole_MessagesAndLogs_CarryNoCredentialOrValue()
    {
        var time = new FakeTimeProvider();
        var logs = new CapturingLoggerFactory();
        var texts = new List<string>();
        await using var server = new FakeVaultServer(time);
        server.AddAppRole("approle", RoleId, SecretId, TimeSpan.FromSeconds(60), renewable: true);
        server.AddMount("secret", 2);
        server.Put("secret", "db", SecretJson);
        await using VaultProvider provider = Create(AppRoleConfig(server.Address), time, logs);
        await using VaultProvider rejected = Create(AppRoleConfig(server.Address, "other-approle"), time, logs);

        texts.Add((await Assert.ThrowsAsync<ProviderException>(() => rejected.FetchAsync("db", null, CancellationToken.None))).ToString());
        texts.Add(rejected.Health.Reason!);
        (await provider.FetchAsync("db", null, CancellationToken.None)).Dispose();
        server.RevokeToken(server.IssuedTokens[0]);
        time.Advance(TimeSpan.FromSeconds(31));
        await server.WaitForRequestAsync(_ => server.Count("POST", "/v1/auth/approle/login") >= 2).WaitAsync(WaitLimit);
        (await provider.FetchAsync("db", null, CancellationToken.None)).Dispose();
        texts.AddRange(logs.Entries.Select(entry => entry.Text));

        string[] credentials = [RoleId, SecretId, SecretValue, .. server.IssuedTokens];
        Assert.Contains(texts, text => text.Contains("logged in with AppRole", StringComparison.Ordinal));
        Assert.Contains(texts, text => text.Contains("token renewal failed", StringComparison.Ordinal));
        foreach (string credential in credentials)
        {
            Assert.DoesNotContain(texts, text => text.Contains(credential, StringComparison.Ordinal));
        }
    }

    private static FakeVaultServer NewServer(X509Certificate2? certificate = null)
    {
        var server = new FakeVaultServer(TimeProvider.System, certificate);
        server.AddToken(Token);
        server.AddMount("secret", 2);
        server.Put("secret", "db", SecretJson);
        return server;
    }

    /// <summary>A throwaway CA, its PEM file, and a server certificate for 127.0.0.1 signed by it.</summary>
    private sealed class TlsFixture : IDisposable
    {
        private readonly string _directory;

        private TlsFixture(string directory, string caFile, X509Certificate2 serverCertificate)
        {
            _directory = directory;
            CaFile = caFile;
            ServerCertificate = serverCertificate;
        }

        public string CaFile { get; }

        public X509Certificate2 ServerCertificate { get; }

        public static TlsFixture Create()
        {
            DateTimeOffset now = DateTimeOffset.UtcNow;
            using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var caRequest = new CertificateRequest("CN=dso test CA", caKey, HashAlgorithmName.SHA256);
            caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
            caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
            caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false));
            using X509Certificate2 ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddHours(1));

            using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var serverRequest = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            serverRequest.CertificateExtensions.Add(names.Build());
            serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, 0, critical: false));
            serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
            serverRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
            using X509Certificate2 signed = serverRequest.Create(ca, now.AddMinutes(-5), now.AddHours(1), RandomNumberGenerator.GetBytes(8));
            X509Certificate2 serverCertificate = signed.CopyWithPrivateKey(serverKey);

            string directory = Directory.CreateTempSubdirectory("dso-vault-tls-").FullName;
            string caFile = Path.Combine(directory, "ca.pem");
            File.WriteAllText(caFile, ca.ExportCertificatePem());
            return new TlsFixture(directory, caFile, serverCertificate);
        }

        public void Dispose()
        {
            ServerCertificate.Dispose();
            Directory.Delete(_directory, recursive: true);
        }
    }
}
