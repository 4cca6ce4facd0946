using System.Security.Cryptography;
using System.Text;
using Dso.Vault.Format;
using Konscious.Security.Cryptography;

namespace Dso.Vault.Keys;

/// <summary>
/// Derives the master secret from a passphrase with Argon2id and the parameters in the vault header. The result
/// is cached per salt and parameters, so a load followed by a save runs Argon2id once.
/// </summary>
internal sealed class PassphraseKeySource : IVaultKeySource
{
    private readonly Func<string> _readPassphrase;
    private string? _passphrase;
    private (string Salt, Argon2Parameters Parameters, byte[] Secret)? _cached;

    public PassphraseKeySource(Func<string> readPassphrase)
    {
        _readPassphrase = readPassphrase;
    }

    public byte[] GetMasterSecret(VaultHeader header)
    {
        string salt = Convert.ToHexString(header.Salt);
        if (_cached is { } cached && cached.Salt == salt && cached.Parameters == header.Argon2)
        {
            return (byte[])cached.Secret.Clone();
        }

        _passphrase ??= _readPassphrase();
        byte[] secret = Derive(_passphrase, header.Salt, header.Argon2);
        _cached = (salt, header.Argon2, secret);
        return (byte[])secret.Clone();
    }

    public static byte[] Derive(string passphrase, byte[] salt, Argon2Parameters parameters)
    {
        byte[] password = Encoding.UTF8.GetBytes(passphrase);
        try
        {
            using var argon2 = new Argon2id(password)
            {
                Salt = salt,
                MemorySize = checked((int)parameters.MemoryKib),
                Iterations = checked((int)parameters.Iterations),
                DegreeOfParallelism = checked((int)parameters.Parallelism),
            };
            return argon2.GetBytes(VaultKeys.MasterSecretSize);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(password);
        }
    }
}
