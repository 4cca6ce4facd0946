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

    public static VaultDocument Decrypt(ReadOnlySpan<byte> file, VaultHeader header, ReadOnlySpan<byte> masterSecret, string path) =>
        Decrypt(file, header, masterSecret, path, plaintext =>
            JsonSerializer.Deserialize(plaintext, VaultJsonContext.Default.VaultDocument)
                ?? throw new VaultFormatException(path, "the decrypted content is empty"));

    /// <summary>
    /// Decrypts the vault and reads a single entry, skipping the others without materialising them, which keeps
    /// 'dso secret get' fast on a vault with thousands of entries.
    /// </summary>
    public static VaultEntry? DecryptEntry(ReadOnlySpan<byte> file, VaultHeader header, ReadOnlySpan<byte> masterSecret, string path, string name) =>
        Decrypt(file, header, masterSecret, path, plaintext => FindEntry(plaintext, name));

    private static T Decrypt<T>(ReadOnlySpan<byte> file, VaultHeader header, ReadOnlySpan<byte> masterSecret, string path, Func<byte[], T> read)
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
            return read(plaintext);
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

    private static VaultEntry? FindEntry(byte[] plaintext, string name)
    {
        var reader = new Utf8JsonReader(plaintext);
        Expect(ref reader, JsonTokenType.StartObject);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (!reader.ValueTextEquals("entries"u8))
            {
                reader.Read();
                reader.Skip();
                continue;
            }

            reader.Read();
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                throw new JsonException("The entries of the vault document are not an object.");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool match = reader.ValueTextEquals(name);
                reader.Read();
                if (match)
                {
                    return JsonSerializer.Deserialize(ref reader, VaultJsonContext.Default.VaultEntry);
                }

                reader.Skip();
            }

            return null;
        }

        return null;
    }

    private static void Expect(ref Utf8JsonReader reader, JsonTokenType type)
    {
        if (!reader.Read() || reader.TokenType != type)
        {
            throw new JsonException($"Expected {type} in the vault document.");
        }
    }
}
