using Dso.Core;
using Dso.Core.Paths;
using Dso.Vault.Format;
using Dso.Vault.Keys;
using Dso.Vault.Store;

namespace Dso.Vault.Tests.Store;

public sealed class VaultStoreLoadTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dso-vault-load-").FullName;

    [Fact]
    public void Load_HomeDirectoryMissing_PointsAtBootstrap()
    {
        VaultStore store = CreateStore(Path.Combine(_root, "no-such-home"));

        DsoException error = Assert.Throws<DsoException>(() => store.Load());

        Assert.Contains("dso bootstrap local", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_Entries_UseOrdinalComparer()
    {
        string home = Directory.CreateDirectory(Path.Combine(_root, "home")).FullName;
        MasterKeyFile.CreateNew(Path.Combine(home, "master.key"));
        VaultStore store = CreateStore(home);
        store.Create(KdfKind.KeyFile, Argon2Parameters.None);
        store.Update(document =>
        {
            VaultStore.SetEntry(document, "b", [1], store.Now);
            VaultStore.SetEntry(document, "B", [2], store.Now);
            return (true, 0);
        });

        VaultDocument loaded = store.Load();

        Assert.Same(StringComparer.Ordinal, loaded.Entries.Comparer);
        Assert.Equal(["B", "b"], loaded.Entries.Keys);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static VaultStore CreateStore(string home) =>
        new(DsoPaths.FromEnvironment(name => name == "DSO_HOME" ? home : null), () => throw new InvalidOperationException("No passphrase in this test."), TimeProvider.System);
}
