using System.Buffers.Binary;

namespace Dso.Vault.Format;

/// <summary>
/// The clear-text header of vault.enc. Layout, little-endian:
/// magic "DSOVAULT" (8) | format version u16 | KDF kind u8 | reserved u8 |
/// Argon2id memory KiB u32 | iterations u32 | parallelism u32 | salt (16) | key id (8) | nonce (12).
/// The AES-GCM ciphertext and its 16-byte tag follow. All 60 header bytes are the associated data of the
/// encryption, so that changing any of them makes decryption fail.
/// </summary>
internal sealed record VaultHeader
{
    public const int Size = 60;
    public const ushort CurrentVersion = 1;
    public const int SaltSize = 16;
    public const int KeyIdSize = 8;
    public const int NonceSize = 12;
    public const int TagSize = 16;

    public static ReadOnlySpan<byte> Magic => "DSOVAULT"u8;

    public ushort Version { get; init; } = CurrentVersion;

    public required KdfKind Kdf { get; init; }

    public Argon2Parameters Argon2 { get; init; } = Argon2Parameters.None;

    public required byte[] Salt { get; init; }

    /// <summary>A value derived from the key, which tells a wrong key apart from a damaged file.</summary>
    public required byte[] KeyId { get; init; }

    public required byte[] Nonce { get; init; }

    public void WriteTo(Span<byte> destination)
    {
        Magic.CopyTo(destination);
        BinaryPrimitives.WriteUInt16LittleEndian(destination[8..], Version);
        destination[10] = (byte)Kdf;
        destination[11] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(destination[12..], Argon2.MemoryKib);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[16..], Argon2.Iterations);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[20..], Argon2.Parallelism);
        Salt.CopyTo(destination[24..]);
        KeyId.CopyTo(destination[40..]);
        Nonce.CopyTo(destination[48..]);
    }

    /// <summary>Parses a header, or returns the reason the bytes are not a readable vault.</summary>
    public static VaultHeader Parse(ReadOnlySpan<byte> file, string path)
    {
        if (file.Length == 0)
        {
            throw new VaultFormatException(path, "the file is empty");
        }

        if (file.Length < Magic.Length || !file[..Magic.Length].SequenceEqual(Magic))
        {
            throw new VaultFormatException(path, "the file is not a dso vault (its magic bytes do not match)");
        }

        if (file.Length < 10)
        {
            throw new VaultFormatException(path, "the file is truncated");
        }

        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(file[8..]);
        if (version != CurrentVersion)
        {
            throw new VaultFormatException(path, $"the vault format version {version} is not supported by this dso (it reads version {CurrentVersion}); upgrade dso");
        }

        if (file.Length < Size + TagSize)
        {
            throw new VaultFormatException(path, "the file is truncated");
        }

        var kdf = (KdfKind)file[10];
        if (kdf is not (KdfKind.KeyFile or KdfKind.Argon2idPassphrase))
        {
            throw new VaultFormatException(path, $"the key derivation id {file[10]} is unknown");
        }

        var argon2 = new Argon2Parameters(
            BinaryPrimitives.ReadUInt32LittleEndian(file[12..]),
            BinaryPrimitives.ReadUInt32LittleEndian(file[16..]),
            BinaryPrimitives.ReadUInt32LittleEndian(file[20..]));
        if (kdf == KdfKind.KeyFile && argon2 != Argon2Parameters.None)
        {
            throw new VaultFormatException(path, "the header is corrupted or was tampered with (a key-file vault has Argon2id parameters); restore it from a backup");
        }

        if (kdf == KdfKind.Argon2idPassphrase && argon2.FindProblem() is { } problem)
        {
            throw new VaultFormatException(path, $"the header is corrupted or was tampered with (Argon2id: {problem}); restore it from a backup");
        }

        return new VaultHeader
        {
            Version = version,
            Kdf = kdf,
            Argon2 = argon2,
            Salt = file.Slice(24, SaltSize).ToArray(),
            KeyId = file.Slice(40, KeyIdSize).ToArray(),
            Nonce = file.Slice(48, NonceSize).ToArray(),
        };
    }
}
