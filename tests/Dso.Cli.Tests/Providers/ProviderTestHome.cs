using System.Text;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Providers;

/// <summary>
/// A throwaway dso home with a vault, and an agent-mode dso.yaml whose provider main is that vault (a local
/// provider). DSO_ETC_DIR points into the folder, so that a real /etc/dso/dso.yaml is never read.
/// </summary>
internal sealed class ProviderTestHome : IDisposable
{
    /// <summary>The JSON value stored as app/json; its db.password is <see cref="JsonPassword"/>.</summary>
    public const string JsonValue = """{"db": {"password": "json-pw-4ZL9q", "port": 5432}, "tls.crt": "CERT-7Hq2", "list": [1, "x"]}""";

    public const string JsonPassword = "json-pw-4ZL9q";

    /// <summary>The plain value stored as app/plain, with its trailing newline.</summary>
    public const string PlainValue = "plain-value-Qx81m\n";

    public ProviderTestHome()
    {
        Home = new TestHome();
        Home.Environment["DSO_ETC_DIR"] = Path.Combine(Home.Root, "etc");
        Home.Environment["AWS_EC2_METADATA_DISABLED"] = "true";
    }

    public TestHome Home { get; }

    public string ConfigPath => Path.Combine(Home.Root, "dso.yaml");

    /// <summary>Creates the vault with app/json and app/plain, and writes dso.yaml with provider main and the given secrets.</summary>
    public async Task<ProviderTestHome> InitializeAsync(string secretsYaml, string extraProvidersYaml = "")
    {
        await Home.InitializeAsync();
        await DsoCli.SetSecretAsync(Home, "app/json", JsonValue);
        await DsoCli.SetSecretAsync(Home, "app/plain", PlainValue);
        WriteConfig(secretsYaml, extraProvidersYaml);
        return this;
    }

    public void WriteConfig(string secretsYaml, string extraProvidersYaml = "")
    {
        var yaml = new StringBuilder();
        yaml.Append("mode: agent\nproviders:\n  main:\n    type: local\n    vault_path: ").Append(Home.VaultPath).Append('\n');
        yaml.Append(extraProvidersYaml);
        yaml.Append("secrets:\n").Append(secretsYaml);
        File.WriteAllText(ConfigPath, yaml.ToString());
    }

    /// <summary>A secrets: entry of dso.yaml for provider main, with optional extra keys such as "key: password".</summary>
    public static string Secret(string name, string path, string extra = "", string provider = "main") =>
        $"  {name}:\n    provider: {provider}\n    path: {path}\n{extra}    targets:\n      containers: [web]\n";

    public Task<DsoResult> RunAsync(params string[] arguments) =>
        DsoCli.RunAsync(Home, ["--config", ConfigPath, .. arguments]);

    /// <summary>Replaces master.key with another random key, so that the vault can no longer be opened.</summary>
    public void ReplaceKeyFile() =>
        File.WriteAllText(Home.MasterKeyPath, Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n");

    public void Dispose() => Home.Dispose();
}
