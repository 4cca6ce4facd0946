using System.Security.Cryptography;
using System.Text.Json;
using Dso.Vault.Keys;

namespace Dso.Vault.Format;

/// <summary>Turns a <see cref="VaultDocument"/> into the bytes of vault.enc and back.</summary>
internal static class VaultCodec
{
    public static byte[] Encrypt(VaultDocument document, VaultHeader headerTemplate, ReadOnlySpan<byte> masterSecret)
    {
        VaultHeader header = headerTemplate with
        {
            KeyId = VaultKeys.DeriveKeyId(masterSecret, headerTemplate.Salt),
            Nonce = RandomNumberGenerator.GetBytes(VaultHeader.NonceSize),
        };
        byte[] plaintext = JsonSerializer.SerializeToUtf8Bytes(document, VaultJsonContext.Default.VaultDocument);
        byte[] key = VaultKeys.DeriveEncryptionKey(masterSecret, header.Salt);
        try
        {
            byte[] file = new byte[VaultHeader.Size + plaintext.Length + VaultHeader.TagSize];
            header.WriteTo(file);
            Span<byte> associatedData = file.AsSpan(0, VaultHeader.Size);
            Span<byte> ciphertext = file.AsSpan(VaultHeader.Size, plaintext.Length);
            Span<byte> tag = file.AsSpan(VaultHeader.Size + plaintext.Length, VaultHeader.TagSize);

            using var aes = new AesGcm(key, VaultHeader.TagSize);
            aes.Encrypt(header.Nonce, plaintext, ciphertext, tag, associatedData);
            return file;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
            CryptographicOperations.ZeroMemory(key);
        }
    }

    /// <summary>True when the master secret is the one the vault was written under, judged by the key id.</summary>
    public static bool KeyMatches(VaultHeader header, ReadOnlySpan<byte> masterSecret) =>
        CryptographicOperations.FixedTimeEquals(VaultKeys.DeriveKeyId(masterSecret, header.Salt), header.KeyId);

    public static VaultDocument Decrypt(ReadOnlySpan<byte> file, VaultHeader header, ReadOnlySpan<byte> masterSecret, string path)
    {
        ReadOnlySpan<byte> associatedData = file[..VaultHeader.Size];
        ReadOnlySpan<byte> ciphertext = file[VaultHeader.Size..^VaultHeader.TagSize];
        ReadOnlySpan<byte> tag = file[^VaultHeader.TagSize..];
        byte[] plaintext = new byte[ciphertext.Length];
        byte[] key = VaultKeys.DeriveEncryptionKey(masterSecret, header.Salt);
        try
        {
            using var aes = new AesGcm(key, VaultHeader.TagSize);
            aes.Decrypt(header.Nonce, ciphertext, tag, plaintext, associatedData);
            return JsonSerializer.Deserialize(plaintext, VaultJsonContext.Default.VaultDocument)
                ?? throw new VaultFormatException(path, "the decrypted content is empty");
        }
        catch (AuthenticationTagMismatchException exception)
        {
            throw new VaultFormatException(path, "the file is corrupted or was tampered with (authentication failed); restore it from a backup", exception);
        }
        catch (JsonException exception)
        {
            throw new VaultFormatException(path, "the decrypted content is not a valid vault document", exception);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
            CryptographicOperations.ZeroMemory(key);
        }
    }
}
