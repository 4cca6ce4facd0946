using System.Text;
using Dso.Cli.Tests.Infrastructure;

namespace Dso.Cli.Tests.Vault;

public sealed class BootstrapCommandTests
{
    private const UnixFileMode Mode600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Mode700 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static readonly Dictionary<string, string> RightPassphrase = new() { ["DSO_PASSPHRASE"] = "right horse battery staple" };
    private static readonly Dictionary<string, string> WrongPassphrase = new() { ["DSO_PASSPHRASE"] = "wrong horse battery staple" };

    [Fact]
    public async Task BootstrapLocal_NewHome_SetsPrivateModes()
    {
        using var home = new TestHome();

        await DsoCli.RunOkAsync(home, ["bootstrap", "local"]);

        Assert.Equal(Mode700, File.GetUnixFileMode(home.Home));
        Assert.Equal(Mode600, File.GetUnixFileMode(home.MasterKeyPath));
        Assert.Equal(Mode600, File.GetUnixFileMode(home.VaultPath));
    }

    [Fact]
    public async Task BootstrapLocal_NewHome_WritesKeyOf64HexDigits()
    {
        using var home = new TestHome();

        await DsoCli.RunOkAsync(home, ["bootstrap", "local"]);

        string key = File.ReadAllText(home.MasterKeyPath, Encoding.ASCII);
        Assert.Matches("^[0-9a-f]{64}\n$", key);
    }

    [Fact]
    public async Task BootstrapLocal_NewHome_CreatesEmptyVaultThatOpens()
    {
        using var home = new TestHome();

        await DsoCli.RunOkAsync(home, ["bootstrap", "local"]);

        DsoResult check = await DsoCli.RunOkAsync(home, ["vault", "check", "--json"]);
        Assert.Contains("\"entries\": 0", check.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BootstrapLocal_SecondRun_ChangesNothing()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        await DsoCli.SetSecretAsync(home, "app/a", "a");
        string keyHash = TestHome.HashFile(home.MasterKeyPath);
        string vaultHash = home.HashVault();
        DateTime vaultWritten = File.GetLastWriteTimeUtc(home.VaultPath);

        DsoResult second = await DsoCli.RunAsync(home, ["bootstrap", "local"]);

        Assert.Equal(0, second.ExitCode);
        Assert.Equal(keyHash, TestHome.HashFile(home.MasterKeyPath));
        Assert.Equal(vaultHash, home.HashVault());
        Assert.Equal(vaultWritten, File.GetLastWriteTimeUtc(home.VaultPath));
        Assert.DoesNotContain("created", second.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BootstrapLocal_VaultWithoutKey_FailsAndCreatesNoKey()
    {
        using TestHome home = await new TestHome().InitializeAsync();
        File.Delete(home.MasterKeyPath);
        string vaultHash = home.HashVault();

        DsoResult bootstrap = await DsoCli.RunAsync(home, ["bootstrap", "local"]);

        Assert.Equal(1, bootstrap.ExitCode);
        Assert.Contains($"The master key {home.MasterKeyPath} is missing", bootstrap.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(home.MasterKeyPath), "bootstrap created a new master.key beside a vault it cannot open");
        Assert.Equal(vaultHash, home.HashVault());
    }

    [Fact]
    public async Task BootstrapLocalPassphrase_FromEnvironment_VaultWorks()
    {
        using var home = new TestHome();

        await DsoCli.RunOkAsync(home, ["bootstrap", "local", "--passphrase"], environment: RightPassphrase);
        await DsoCli.RunOkAsync(home, ["secret", "set", "app/a"], Encoding.UTF8.GetBytes("value\n"), environment: RightPassphrase);
        DsoResult get = await DsoCli.RunOkAsync(home, ["secret", "get", "app/a"], environment: RightPassphrase);

        Assert.Equal("value\n", get.StandardOutput);
        Assert.False(File.Exists(home.MasterKeyPath), "a passphrase vault got a master.key");
        Assert.Equal(Mode600, File.GetUnixFileMode(home.VaultPath));
    }

    [Fact]
    public async Task Get_WrongPassphrase_FailsNamingVault()
    {
        using var home = new TestHome();
        await DsoCli.RunOkAsync(home, ["bootstrap", "local", "--passphrase"], environment: RightPassphrase);
        await DsoCli.RunOkAsync(home, ["secret", "set", "app/a"], Encoding.UTF8.GetBytes("value"), environment: RightPassphrase);
        string vaultHash = home.HashVault();

        DsoResult get = await DsoCli.RunAsync(home, ["secret", "get", "app/a"], environment: WrongPassphrase);

        Assert.Equal(1, get.ExitCode);
        Assert.Empty(get.StandardOutputBytes);
        Assert.Contains($"Cannot open the vault {home.VaultPath}: wrong key: the passphrase does not match", get.StandardError, StringComparison.Ordinal);
        Assert.Equal(vaultHash, home.HashVault());
    }

    [Fact]
    public async Task BootstrapLocalPassphrase_RerunWrongPassphrase_ChangesNothing()
    {
        using var home = new TestHome();
        await DsoCli.RunOkAsync(home, ["bootstrap", "local", "--passphrase"], environment: RightPassphrase);
        string vaultHash = home.HashVault();

        DsoResult second = await DsoCli.RunAsync(home, ["bootstrap", "local", "--passphrase"], environment: WrongPassphrase);

        Assert.Equal(1, second.ExitCode);
        Assert.Contains(home.VaultPath, second.StandardError, StringComparison.Ordinal);
        Assert.Equal(vaultHash, home.HashVault());
    }

    [Fact]
    public async Task BootstrapLocalPassphrase_NoPassphrase_FailsNamingVariable()
    {
        using var home = new TestHome();

        DsoResult bootstrap = await DsoCli.RunAsync(home, ["bootstrap", "local", "--passphrase"]);

        Assert.Equal(1, bootstrap.ExitCode);
        Assert.Contains("Set DSO_PASSPHRASE", bootstrap.StandardError, StringComparison.Ordinal);
        Assert.False(File.Exists(home.VaultPath), "a vault was created without a passphrase");
    }
}
