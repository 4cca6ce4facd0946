using System.Buffers.Binary;
using System.Text;
using Dso.Core;
using Dso.Vault.Format;
using Dso.Vault.Keys;
using Dso.Vault.Store;
using Dso.Vault.Tests.Infrastructure;

namespace Dso.Vault.Tests.Store;

/// <summary>
/// A vault that cannot be read (wrong key, tampered, truncated, unknown version, not a vault) is an error naming
/// vault.enc, and neither a read nor an attempted write changes a byte of it.
/// </summary>
public sealed class VaultStoreDamageTests
{
    /// <summary>The names of the damages that <see cref="Damage"/> applies.</summary>
    public static TheoryData<string> Damages => new()
    {
        "wrong-key",
        "header-reserved-byte",
        "header-argon2-byte",
        "header-nonce-byte",
        "ciphertext-first-byte",
        "ciphertext-middle-byte",
        "ciphertext-last-byte",
        "tag-first-byte",
        "tag-last-byte",
        "truncated-to-0",
        "truncated-to-7",
        "truncated-to-8",
        "truncated-to-10",
        "truncated-to-header",
        "truncated-to-header-and-tag",
        "truncated-by-1",
        "version-2",
        "version-65535",
        "not-a-vault",
    };

    public static TheoryData<int> HeaderOffsets => new(Enumerable.Range(0, VaultHeader.Size));

    [Theory]
    [MemberData(nameof(Damages))]
    public void Load_DamagedVault_ThrowsVaultFormatExceptionNamingFile(string damage)
    {
        using TempVault vault = CreateVaultWithEntries();
        Damage(vault, damage);

        var exception = Assert.Throws<VaultFormatException>(() => vault.OpenStore().Load());

        Assert.Equal(vault.VaultPath, exception.VaultPath);
        Assert.Contains(vault.VaultPath, exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public void Load_DamagedVault_LeavesFileByteIdentical(string damage)
    {
        using TempVault vault = CreateVaultWithEntries();
        Damage(vault, damage);
        string hashBefore = vault.HashVault();

        Assert.ThrowsAny<DsoException>(() => vault.OpenStore().Load());

        Assert.Equal(hashBefore, vault.HashVault());
    }

    [Theory]
    [MemberData(nameof(Damages))]
    public void Update_DamagedVault_LeavesFileByteIdentical(string damage)
    {
        using TempVault vault = CreateVaultWithEntries();
        Damage(vault, damage);
        string hashBefore = vault.HashVault();

        Assert.ThrowsAny<DsoException>(() => vault.Set("app/new", [1, 2, 3]));

        Assert.Equal(hashBefore, vault.HashVault());
    }

    [Theory]
    [MemberData(nameof(HeaderOffsets))]
    public void Load_KeyFileVaultHeaderByteFlipped_ThrowsVaultFormatException(int offset)
    {
        using TempVault vault = CreateVaultWithEntries();
        FlipByte(vault, offset);

        var exception = Assert.Throws<VaultFormatException>(() => vault.OpenStore().Load());

        Assert.Equal(vault.VaultPath, exception.VaultPath);
    }

    [Theory]
    [MemberData(nameof(HeaderOffsets))]
    public void Load_PassphraseVaultHeaderByteFlipped_ThrowsVaultFormatException(int offset)
    {
        using TempVault vault = TempVault.CreateWithPassphrase();
        vault.Set("app/db/password", [1, 2, 3]);
        FlipByte(vault, offset);

        var exception = Assert.Throws<VaultFormatException>(() => vault.OpenStore().Load());

        Assert.Equal(vault.VaultPath, exception.VaultPath);
    }

    [Fact]
    public void Load_KeyFileVaultMarkedAsPassphraseVault_ThrowsVaultFormatException()
    {
        using TempVault vault = CreateVaultWithEntries();
        byte[] file = File.ReadAllBytes(vault.VaultPath);
        file[10] = (byte)KdfKind.Argon2idPassphrase;
        File.WriteAllBytes(vault.VaultPath, file);

        var exception = Assert.Throws<VaultFormatException>(() => vault.OpenStore().Load());

        Assert.Equal(vault.VaultPath, exception.VaultPath);
    }

    [Fact]
    public void Load_WrongKeyFile_ReportsWrongKeyNamingKeyFile()
    {
        using TempVault vault = CreateVaultWithEntries();
        Damage(vault, "wrong-key");

        var exception = Assert.Throws<VaultFormatException>(() => vault.OpenStore().Load());

        Assert.Contains("wrong key", exception.Message, StringComparison.Ordinal);
        Assert.Contains(vault.MasterKeyPath, exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WrongPassphrase_ReportsWrongKey()
    {
        using TempVault vault = TempVault.CreateWithPassphrase();

        var exception = Assert.Throws<VaultFormatException>(() => vault.OpenStore("not the passphrase").Load());

        Assert.Contains("wrong key: the passphrase does not match", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ciphertext-middle-byte")]
    [InlineData("tag-last-byte")]
    [InlineData("header-nonce-byte")]
    public void Load_TamperedVault_ReportsTampering(string damage)
    {
        using TempVault vault = CreateVaultWithEntries();
        Damage(vault, damage);

        var exception = Assert.Throws<VaultFormatException>(() => vault.OpenStore().Load());

        Assert.Contains("tampered", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_WrongKeyAndTampered_GiveDifferentMessages()
    {
        using TempVault wrongKeyVault = CreateVaultWithEntries();
        using TempVault tamperedVault = CreateVaultWithEntries();
        Damage(wrongKeyVault, "wrong-key");
        Damage(tamperedVault, "ciphertext-middle-byte");

        string wrongKeyMessage = Assert.Throws<VaultFormatException>(() => wrongKeyVault.OpenStore().Load()).Message;
        string tamperedMessage = Assert.Throws<VaultFormatException>(() => tamperedVault.OpenStore().Load()).Message;

        string wrongKeyReason = wrongKeyMessage.Replace(wrongKeyVault.Root, "ROOT", StringComparison.Ordinal);
        string tamperedReason = tamperedMessage.Replace(tamperedVault.Root, "ROOT", StringComparison.Ordinal);
        Assert.NotEqual(wrongKeyReason, tamperedReason);
        Assert.DoesNotContain("tampered", wrongKeyMessage, StringComparison.Ordinal);
        Assert.DoesNotContain("wrong key", tamperedMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("version-2", 2)]
    [InlineData("version-65535", 65535)]
    public void Load_UnknownFormatVersion_NamesVersionAndSaysUpgrade(string damage, int version)
    {
        using TempVault vault = CreateVaultWithEntries();
        Damage(vault, damage);

        var exception = Assert.Throws<VaultFormatException>(() => vault.OpenStore().Load());

        Assert.Contains($"version {version} is not supported", exception.Message, StringComparison.Ordinal);
        Assert.Contains("upgrade dso", exception.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("truncated-to-10")]
    [InlineData("truncated-to-header")]
    public void Load_TruncatedVault_ReportsTruncation(string damage)
    {
        using TempVault vault = CreateVaultWithEntries();
        Damage(vault, damage);

        var exception = Assert.Throws<VaultFormatException>(() => vault.OpenStore().Load());

        Assert.Contains("truncated", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EmptyFile_ReportsEmpty()
    {
        using TempVault vault = CreateVaultWithEntries();
        Damage(vault, "truncated-to-0");

        var exception = Assert.Throws<VaultFormatException>(() => vault.OpenStore().Load());

        Assert.Contains("the file is empty", exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DotEnvFileInPlaceOfVault_ReportsNotAVault()
    {
        using TempVault vault = CreateVaultWithEntries();
        Damage(vault, "not-a-vault");

        var exception = Assert.Throws<VaultFormatException>(() => vault.OpenStore().Load());

        Assert.Contains("not a dso vault", exception.Message, StringComparison.Ordinal);
    }

    private static TempVault CreateVaultWithEntries()
    {
        TempVault vault = TempVault.CreateWithKeyFile();
        vault.Set("app/db/password", Encoding.UTF8.GetBytes("s3cret\n"));
        vault.Set("app/tls/key", [0x00, 0xFF, 0x00, 0x0A]);
        return vault;
    }

    /// <summary>Applies one of <see cref="Damages"/> to the vault's files.</summary>
    private static void Damage(TempVault vault, string damage)
    {
        byte[] file = File.ReadAllBytes(vault.VaultPath);
        int ciphertextLength = file.Length - VaultHeader.Size - VaultHeader.TagSize;
        switch (damage)
        {
            case "wrong-key":
                string otherKeyPath = Path.Combine(vault.Root, "other.key");
                MasterKeyFile.CreateNew(otherKeyPath);
                File.Copy(otherKeyPath, vault.MasterKeyPath, overwrite: true);
                return;
            case "header-reserved-byte":
                FlipByte(vault, 11);
                return;
            case "header-argon2-byte":
                FlipByte(vault, 12);
                return;
            case "header-nonce-byte":
                FlipByte(vault, 48);
                return;
            case "ciphertext-first-byte":
                FlipByte(vault, VaultHeader.Size);
                return;
            case "ciphertext-middle-byte":
                FlipByte(vault, VaultHeader.Size + (ciphertextLength / 2));
                return;
            case "ciphertext-last-byte":
                FlipByte(vault, VaultHeader.Size + ciphertextLength - 1);
                return;
            case "tag-first-byte":
                FlipByte(vault, file.Length - VaultHeader.TagSize);
                return;
            case "tag-last-byte":
                FlipByte(vault, file.Length - 1);
                return;
            case "truncated-to-header":
                File.WriteAllBytes(vault.VaultPath, file[..VaultHeader.Size]);
                return;
            case "truncated-to-header-and-tag":
                File.WriteAllBytes(vault.VaultPath, file[..(VaultHeader.Size + VaultHeader.TagSize)]);
                return;
            case "truncated-by-1":
                File.WriteAllBytes(vault.VaultPath, file[..^1]);
                return;
            case string truncation when truncation.StartsWith("truncated-to-", StringComparison.Ordinal):
                int length = int.Parse(truncation["truncated-to-".Length..], System.Globalization.CultureInfo.InvariantCulture);
                File.WriteAllBytes(vault.VaultPath, file[..length]);
                return;
            case string version when version.StartsWith("version-", StringComparison.Ordinal):
                ushort number = ushort.Parse(version["version-".Length..], System.Globalization.CultureInfo.InvariantCulture);
                BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), number);
                File.WriteAllBytes(vault.VaultPath, file);
                return;
            case "not-a-vault":
                File.WriteAllText(vault.VaultPath, "# not a vault\nDB_PASSWORD=hunter2\n");
                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(damage), damage, "Unknown damage.");
        }
    }

    private static void FlipByte(TempVault vault, int offset)
    {
        byte[] file = File.ReadAllBytes(vault.VaultPath);
        file[offset] ^= 0xFF;
        File.WriteAllBytes(vault.VaultPath, file);
    }
}
