namespace Dso.Vault.Format;

/// <summary>How the vault key is obtained; stored in the vault header.</summary>
internal enum KdfKind : byte
{
    /// <summary>HKDF-SHA256 over the 32 random bytes of master.key.</summary>
    KeyFile = 1,

    /// <summary>Argon2id over a passphrase, with the parameters stored in the header, then HKDF-SHA256.</summary>
    Argon2idPassphrase = 2,
}
