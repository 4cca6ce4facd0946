using System.Security.Cryptography;
using Dso.Core.IO;

namespace Dso.Agent.Runtime;

/// <summary>
/// Keyed fingerprints of secret values: HMAC-SHA256 under a random key kept in the state directory
/// (fingerprint.key, 0600). The journal stores fingerprints, so that a new provider version with an unchanged
/// value rotates nothing. Because the hash is keyed, a copied journal does not allow guessing weak values offline.
/// </summary>
internal sealed class Fingerprints
{
    public const string KeyFileName = "fingerprint.key";

    private const string Prefix = "hmac-sha256:";

    private readonly byte[] _key;

    private Fingerprints(byte[] key) => _key = key;

    /// <summary>Loads the key from <paramref name="stateDirectory"/>, creating it on first use.</summary>
    public static Fingerprints Open(string stateDirectory)
    {
        string path = Path.Combine(stateDirectory, KeyFileName);
        if (!File.Exists(path))
        {
            byte[] fresh = RandomNumberGenerator.GetBytes(32);
            string temp = path + ".new";
            AtomicFile.Write(temp, fresh, FileModes.PrivateFile);

            // Two agents starting at once must end up with one key: the first link wins, the other reads it.
            Libc.TryLinkNoReplace(temp, path);
            File.Delete(temp);
        }

        byte[] key = File.ReadAllBytes(path);
        if (key.Length != 32)
        {
            throw new Core.DsoException($"The fingerprint key {path} has {key.Length} bytes instead of 32. Delete it; every target is then checked once against its running container.");
        }

        return new Fingerprints(key);
    }

    /// <summary>The key, for providers that derive version ids from values.</summary>
    public byte[] Key => _key;

    /// <summary>Returns "hmac-sha256:" and the first 16 bytes of the HMAC, in hex.</summary>
    public string Of(ReadOnlySpan<byte> value)
    {
        Span<byte> hash = stackalloc byte[32];
        HMACSHA256.HashData(_key, value, hash);
        return Prefix + Convert.ToHexStringLower(hash[..16]);
    }
}
