using System.Security.Cryptography;
using System.Text;
using Dso.Core;
using Dso.Vault.Format;
using Dso.Vault.Keys;
using Dso.Vault.Store;
using Dso.Vault.Tests.Infrastructure;

namespace Dso.Vault.Tests.Store;

public sealed class VaultStoreRekeyTests
{
    private const string NewPassphrase = "a new passphrase";

    private static readonly Dictionary<string, byte[]> Entries = new(StringComparer.Ordinal)
    {
        ["app/db/password"] = Encoding.UTF8.GetBytes("s3cret\n"),
        ["app/tls/key"] = [0x00, 0xFF, 0x00, 0x0A],
        ["app/empty"] = [],
    };

    [Fact]
    public void Rekey_ToNewKeyFile_KeepsAllEntries()
    {
        using TempVault vault = CreateVaultWithEntries(TempVault.CreateWithKeyFile());

        vault.OpenStore().Rekey(KdfKind.KeyFile, null, Argon2Parameters.None);

        AssertHasAllEntries(vault.OpenStore().Load());
    }

    [Fact]
    public void Rekey_ToNewKeyFile_OldKeyNoLongerOpens()
    {
        using TempVault vault = CreateVaultWithEntries(TempVault.CreateWithKeyFile());
        byte[] oldKey = File.ReadAllBytes(vault.MasterKeyPath);

        vault.OpenStore().Rekey(KdfKind.KeyFile, null, Argon2Parameters.None);

        Assert.NotEqual(oldKey, File.ReadAllBytes(vault.MasterKeyPath));
        Assert.False(File.Exists(vault.NextMasterKeyPath), "master.key.next was left behind");
        File.WriteAllBytes(vault.MasterKeyPath, oldKey);
        Assert.Throws<VaultFormatException>(() => vault.OpenStore().Load());
    }

    [Fact]
    public void Rekey_KeyFileToPassphrase_KeepsAllEntries()
    {
        using TempVault vault = CreateVaultWithEntries(TempVault.CreateWithKeyFile());

        vault.OpenStore().Rekey(KdfKind.Argon2idPassphrase, new PassphraseKeySource(() => NewPassphrase), TempVault.SmallArgon2);

        AssertHasAllEntries(vault.OpenStore(NewPassphrase).Load());
    }

    [Fact]
    public void Rekey_KeyFileToPassphrase_RemovesOldKeyFile()
    {
        using TempVault vault = CreateVaultWithEntries(TempVault.CreateWithKeyFile());

        vault.OpenStore().Rekey(KdfKind.Argon2idPassphrase, new PassphraseKeySource(() => NewPassphrase), TempVault.SmallArgon2);

        Assert.False(File.Exists(vault.MasterKeyPath), "the old master.key was left beside a passphrase vault");
    }

    [Fact]
    public void Rekey_ToNewPassphrase_OldPassphraseNoLongerOpens()
    {
        using TempVault vault = CreateVaultWithEntries(TempVault.CreateWithPassphrase());

        vault.OpenStore().Rekey(KdfKind.Argon2idPassphrase, new PassphraseKeySource(() => NewPassphrase), TempVault.SmallArgon2);

        AssertHasAllEntries(vault.OpenStore(NewPassphrase).Load());
        Assert.Throws<VaultFormatException>(() => vault.OpenStore(TempVault.Passphrase).Load());
    }

    [Fact]
    public void Rekey_PassphraseToKeyFile_KeepsAllEntries()
    {
        using TempVault vault = CreateVaultWithEntries(TempVault.CreateWithPassphrase());

        vault.OpenStore().Rekey(KdfKind.KeyFile, null, Argon2Parameters.None);

        AssertHasAllEntries(vault.OpenStore("the passphrase is no longer used").Load());
    }

    [Fact]
    public void Rekey_Twice_RaisesRevisionOncePerRekey()
    {
        using TempVault vault = CreateVaultWithEntries(TempVault.CreateWithKeyFile());
        long before = vault.OpenStore().Load().Revision;

        vault.OpenStore().Rekey(KdfKind.KeyFile, null, Argon2Parameters.None);
        vault.OpenStore().Rekey(KdfKind.KeyFile, null, Argon2Parameters.None);

        Assert.Equal(before + 2, vault.OpenStore().Load().Revision);
    }

    [Fact]
    public void Load_RekeyStoppedBeforeKeyRename_OpensWithNextKey()
    {
        using TempVault vault = CreateVaultWithEntries(TempVault.CreateWithKeyFile());
        StopRekeyAfterVaultWasReencrypted(vault);

        VaultDocument document = vault.OpenStore().Load();

        AssertHasAllEntries(document);
    }

    [Fact]
    public void Update_RekeyStoppedBeforeKeyRename_FinishesRename()
    {
        using TempVault vault = CreateVaultWithEntries(TempVault.CreateWithKeyFile());
        byte[] nextKey = StopRekeyAfterVaultWasReencrypted(vault);

        vault.Set("app/after-rekey", [9]);

        Assert.Equal(nextKey, File.ReadAllBytes(vault.MasterKeyPath));
        Assert.False(File.Exists(vault.NextMasterKeyPath), "master.key.next was left behind");
        Assert.Equal([9], vault.Get("app/after-rekey"));
    }

    [Fact]
    public void Update_RekeyStoppedBeforeVaultWasWritten_RemovesUnusedNextKey()
    {
        using TempVault vault = CreateVaultWithEntries(TempVault.CreateWithKeyFile());
        byte[] oldKey = File.ReadAllBytes(vault.MasterKeyPath);
        MasterKeyFile.CreateNew(vault.NextMasterKeyPath);

        vault.Set("app/after-rekey", [9]);

        Assert.Equal(oldKey, File.ReadAllBytes(vault.MasterKeyPath));
        Assert.False(File.Exists(vault.NextMasterKeyPath), "the unused master.key.next was left behind");
        Assert.Equal([9], vault.Get("app/after-rekey"));
    }

    [Fact]
    public void Load_RekeyFromPassphraseStoppedBeforeKeyRename_OpensWithNextKey()
    {
        using TempVault vault = CreateVaultWithEntries(TempVault.CreateWithPassphrase());
        StopRekeyAfterVaultWasReencrypted(vault);

        VaultDocument document = vault.OpenStore("the passphrase is no longer used").Load();

        AssertHasAllEntries(document);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0123456789abcdef")]
    public void Update_PartialNextKey_RemovesItAndSaves(string partialKey)
    {
        using TempVault vault = CreateVaultWithEntries(TempVault.CreateWithKeyFile());
        File.WriteAllText(vault.NextMasterKeyPath, partialKey);

        vault.Set("app/after-rekey", [9]);

        Assert.False(File.Exists(vault.NextMasterKeyPath), "the partial master.key.next was left behind");
        Assert.Equal([9], vault.Get("app/after-rekey"));
    }

    /// <summary>
    /// Reproduces by hand the state a rekey to a new key file leaves when it is killed between writing vault.enc
    /// and renaming master.key.next over master.key. The vault is then encrypted under master.key.next, and
    /// master.key contains the old key, or does not exist after a passphrase vault. Returns master.key.next.
    /// </summary>
    private static byte[] StopRekeyAfterVaultWasReencrypted(TempVault vault)
    {
        VaultDocument document = vault.OpenStore().Load();
        document.Revision++;
        MasterKeyFile.CreateNew(vault.NextMasterKeyPath);
        byte[] nextSecret = MasterKeyFile.Read(vault.NextMasterKeyPath);
        var header = new VaultHeader
        {
            Kdf = KdfKind.KeyFile,
            Salt = RandomNumberGenerator.GetBytes(VaultHeader.SaltSize),
            KeyId = [],
            Nonce = [],
        };
        File.WriteAllBytes(vault.VaultPath, VaultCodec.Encrypt(document, header, nextSecret));
        return File.ReadAllBytes(vault.NextMasterKeyPath);
    }

    private static TempVault CreateVaultWithEntries(TempVault vault)
    {
        foreach ((string name, byte[] value) in Entries)
        {
            vault.Set(name, value);
        }

        return vault;
    }

    private static void AssertHasAllEntries(VaultDocument document)
    {
        Assert.Equal(Entries.Keys.Order(StringComparer.Ordinal), document.Entries.Keys);
        foreach ((string name, byte[] value) in Entries)
        {
            Assert.Equal(value, document.Entries[name].Value);
        }
    }
}
