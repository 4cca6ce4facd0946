using Dso.Vault.Tests.Infrastructure;

namespace Dso.Vault.Tests.Store;

public sealed class VaultStorePermissionTests
{
    private const UnixFileMode Mode644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    [Fact]
    public void FindPermissionProblems_NewVault_ReturnsNone()
    {
        using TempVault vault = TempVault.CreateWithKeyFile();

        IReadOnlyList<string> problems = vault.OpenStore().FindPermissionProblems();

        Assert.Empty(problems);
    }

    [Fact]
    public void FindPermissionProblems_VaultReadableByOthers_ReturnsChmodFix()
    {
        using TempVault vault = TempVault.CreateWithKeyFile();
        File.SetUnixFileMode(vault.VaultPath, Mode644);

        IReadOnlyList<string> problems = vault.OpenStore().FindPermissionProblems();

        string problem = Assert.Single(problems);
        Assert.Contains($"{vault.VaultPath} has mode 0644", problem, StringComparison.Ordinal);
        Assert.EndsWith($"run: chmod 600 {vault.VaultPath}", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void FindPermissionProblems_MasterKeyReadableByOthers_ReturnsChmodFix()
    {
        using TempVault vault = TempVault.CreateWithKeyFile();
        File.SetUnixFileMode(vault.MasterKeyPath, Mode644);

        IReadOnlyList<string> problems = vault.OpenStore().FindPermissionProblems();

        string problem = Assert.Single(problems);
        Assert.EndsWith($"run: chmod 600 {vault.MasterKeyPath}", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void FindPermissionProblems_HomeOpenToOthers_ReturnsChmodFix()
    {
        using TempVault vault = TempVault.CreateWithKeyFile();
        File.SetUnixFileMode(vault.Paths.Home, Mode644 | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);

        IReadOnlyList<string> problems = vault.OpenStore().FindPermissionProblems();

        string problem = Assert.Single(problems);
        Assert.EndsWith($"run: chmod 700 {vault.Paths.Home}", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Update_VaultReadableByOthers_SavesWithMode600()
    {
        using TempVault vault = TempVault.CreateWithKeyFile();
        File.SetUnixFileMode(vault.VaultPath, Mode644);

        vault.Set("app/a", [1]);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(vault.VaultPath));
    }
}
