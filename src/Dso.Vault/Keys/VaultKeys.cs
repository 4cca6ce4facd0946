using System.Security.Cryptography;
using System.Text;

namespace Dso.Vault.Keys;

/// <summary>Derives the AES key and the key id of a vault from its master secret with HKDF-SHA256.</summary>
internal static class VaultKeys
{
    public const int MasterSecretSize = 32;

    private static readonly byte[] EncryptionInfo = Encoding.ASCII.GetBytes("dso vault encryption key v1");
    private static readonly byte[] KeyIdInfo = Encoding.ASCII.GetBytes("dso vault key id v1");

    public static byte[] DeriveEncryptionKey(ReadOnlySpan<byte> masterSecret, ReadOnlySpan<byte> salt)
    {
        byte[] key = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, masterSecret, key, salt, EncryptionInfo);
        return key;
    }

    public static byte[] DeriveKeyId(ReadOnlySpan<byte> masterSecret, ReadOnlySpan<byte> salt)
    {
        byte[] id = new byte[Format.VaultHeader.KeyIdSize];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, masterSecret, id, salt, KeyIdInfo);
        return id;
    }
}
