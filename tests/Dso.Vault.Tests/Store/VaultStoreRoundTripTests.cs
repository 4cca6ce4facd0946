using System.Text;
using Dso.Core.IO;
using Dso.Vault.Format;
using Dso.Vault.Store;
using Dso.Vault.Tests.Infrastructure;

namespace Dso.Vault.Tests.Store;

public sealed class VaultStoreRoundTripTests
{
    private static readonly byte[] BinaryValue = [0x00, 0x01, 0xFF, 0x00, 0x0D, 0x0A, 0x00, 0x80, 0x7F, 0x00];
    private static readonly byte[] PemValue = Encoding.UTF8.GetBytes("-----BEGIN KEY-----\r\n  MIIB\tx \n-----END KEY-----\n\n");

    [Fact]
    public void Load_AfterUpdate_ReturnsSameBytes()
    {
        using TempVault vault = TempVault.CreateWithKeyFile();
        vault.Set("app/binary", BinaryValue);
        vault.Set("app/tls/key", PemValue);
        vault.Set("app/empty", []);

        VaultDocument document = vault.OpenStore().Load();

        Assert.Equal(["app/binary", "app/empty", "app/tls/key"], document.Entries.Keys);
        Assert.Equal(BinaryValue, document.Entries["app/binary"].Value);
        Assert.Equal(PemValue, document.Entries["app/tls/key"].Value);
        Assert.Empty(document.Entries["app/empty"].Value);
    }

    [Fact]
    public void Load_PassphraseVault_ReturnsSameBytes()
    {
        using TempVault vault = TempVault.CreateWithPassphrase();
        vault.Set("app/binary", BinaryValue);

        byte[] value = vault.Get("app/binary");

        Assert.Equal(BinaryValue, value);
    }

    [Fact]
    public void Update_EachSave_RaisesRevisionByOne()
    {
        using TempVault vault = TempVault.CreateWithKeyFile();
        long before = vault.OpenStore().Load().Revision;

        vault.Set("a", [1]);
        vault.Set("b", [2]);
        vault.Set("a", [3]);

        Assert.Equal(0, before);
        Assert.Equal(3, vault.OpenStore().Load().Revision);
    }

    [Fact]
    public void Update_SetAgain_RaisesOnlyThatEntrysVersion()
    {
        using TempVault vault = TempVault.CreateWithKeyFile();

        vault.Set("a", [1]);
        vault.Set("b", [2]);
        vault.Set("a", [3]);
        vault.Set("a", [4]);

        VaultDocument document = vault.OpenStore().Load();
        Assert.Equal(3, document.Entries["a"].Version);
        Assert.Equal(1, document.Entries["b"].Version);
        Assert.Equal([4], document.Entries["a"].Value);
    }

    [Fact]
    public void Update_SetAgainLater_KeepsCreatedAndMovesUpdated()
    {
        using TempVault vault = TempVault.CreateWithKeyFile();
        DateTimeOffset created = vault.Time.GetUtcNow();
        vault.Set("a", [1]);
        vault.Time.Advance(TimeSpan.FromHours(1));

        vault.Set("a", [2]);

        VaultEntry entry = vault.OpenStore().Load().Entries["a"];
        Assert.Equal(created, entry.Created);
        Assert.Equal(created.AddHours(1), entry.Updated);
    }

    [Fact]
    public void Update_NoChange_LeavesFileUnchanged()
    {
        using TempVault vault = TempVault.CreateWithKeyFile();
        vault.Set("a", [1]);
        string hashBefore = vault.HashVault();

        int result = vault.OpenStore().Update(_ => (false, 42));

        Assert.Equal(42, result);
        Assert.Equal(hashBefore, vault.HashVault());
    }

    [Fact]
    public void Update_TempFileLeftByKilledWriter_RemovesIt()
    {
        using TempVault vault = TempVault.CreateWithKeyFile();
        string leftover = Path.Combine(vault.Paths.Home, AtomicFile.TempPrefix + "vault.enc.4242.0badf00d");
        File.WriteAllBytes(leftover, [1, 2, 3]);

        vault.Set("a", [1]);

        Assert.False(File.Exists(leftover), $"{leftover} was left behind");
    }

    [Fact]
    public void Decrypt_OutputOfEncrypt_ReturnsSameDocument()
    {
        byte[] masterSecret = new byte[32];
        masterSecret[0] = 7;
        var document = new VaultDocument { Revision = 5 };
        VaultStore.SetEntry(document, "app/binary", BinaryValue, DateTimeOffset.UnixEpoch);
        var template = new VaultHeader { Kdf = KdfKind.KeyFile, Salt = new byte[VaultHeader.SaltSize], KeyId = [], Nonce = [] };

        byte[] file = VaultCodec.Encrypt(document, template, masterSecret);
        VaultHeader header = VaultHeader.Parse(file, "memory");
        VaultDocument decrypted = VaultCodec.Decrypt(file, header, masterSecret, "memory");

        Assert.Equal(5, decrypted.Revision);
        Assert.Equal(BinaryValue, decrypted.Entries["app/binary"].Value);
    }

    [Fact]
    public void Update_NewEntry_WritesNoPlaintext()
    {
        using TempVault vault = TempVault.CreateWithKeyFile();
        byte[] value = Encoding.ASCII.GetBytes("canary-value-3f9d1c");

        vault.Set("canary/name", value);

        byte[] file = File.ReadAllBytes(vault.VaultPath);
        Assert.Equal(-1, file.AsSpan().IndexOf(value));
        Assert.Equal(-1, file.AsSpan().IndexOf("canary/name"u8));
        Assert.Equal(-1, file.AsSpan().IndexOf(Encoding.ASCII.GetBytes(Convert.ToBase64String(value))));
    }
}
