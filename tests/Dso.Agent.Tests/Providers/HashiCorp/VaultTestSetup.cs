using System.Text;
using Dso.Agent.Configuration;
using Dso.Agent.Providers;
using Dso.Agent.Providers.HashiCorp;
using Microsoft.Extensions.Logging;

namespace Dso.Agent.Tests.Providers.HashiCorp;

/// <summary>Credentials, values and factories shared by the Vault provider tests.</summary>
internal static class VaultTestSetup
{
    public const string ProviderName = "vault_main";
    public const string Token = "hvs.TEST-TOKEN-c0ffee-0123456789";
    public const string RoleId = "role-id-7f0b2c44";
    public const string SecretId = "secret-id-91ad3e55";
    public const string SecretValue = "Pa55-VALUE-not-for-logs";
    public const string SecretJson = $$"""{"username":"app","password":"{{SecretValue}}"}""";

    /// <summary>How long a test waits for a background renewal before it fails.</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(20);

    /// <summary>Retries without real waiting, and a circuit that stays closed for the few failures of a test.</summary>
    public static readonly ProviderResilienceOptions FastRetries = new()
    {
        RetryBaseDelay = TimeSpan.FromMilliseconds(1),
        CircuitMinimumThroughput = 1000,
    };

    public static VaultProviderConfig TokenConfig(Uri address, string token = Token) => new()
    {
        Name = ProviderName,
        Address = address,
        Auth = new VaultAuthConfig { Method = VaultAuthMethod.Token, Token = token },
    };

    public static VaultProviderConfig AppRoleConfig(Uri address, string mount = VaultAuthConfig.DefaultAppRoleMount) => new()
    {
        Name = ProviderName,
        Address = address,
        Auth = new VaultAuthConfig { Method = VaultAuthMethod.AppRole, RoleId = RoleId, SecretId = SecretId, AppRoleMount = mount },
    };

    public static VaultProvider Create(VaultProviderConfig config, TimeProvider time, ILoggerFactory? logs = null, ProviderResilienceOptions? resilience = null) =>
        new(config, new ProviderContext(time, logs ?? new CapturingLoggerFactory(), _ => null), resilience ?? FastRetries);

    public static string Text(SecretPayload payload) => Encoding.UTF8.GetString(payload.Value);
}
