using System.Security.Cryptography;
using System.Text;
using Dso.Core;
using Dso.Vault.Format;

namespace Dso.Vault.Keys;

/// <summary>master.key: 32 random bytes written as 64 hex digits and a newline, mode 0600.</summary>
internal sealed class MasterKeyFile : IVaultKeySource
{
    public const UnixFileMode Mode = Core.IO.FileModes.PrivateFile;

    public MasterKeyFile(string path)
    {
        KeyPath = path;
    }

    public string KeyPath { get; }

    public byte[] GetMasterSecret(VaultHeader header) => Read(KeyPath);

    public static byte[] Read(string path)
    {
        byte[]? secret = TryRead(path);
        if (secret is not null)
        {
            return secret;
        }

        if (!File.Exists(path))
        {
            throw new DsoException($"The master key {path} is missing. Restore it from your backup; without it the vault cannot be decrypted.");
        }

        throw new DsoException($"The master key {path} is invalid: expected {VaultKeys.MasterSecretSize * 2} hex digits. Restore it from your backup.");
    }

    /// <summary>Reads a key file, or returns null when the file does not exist or does not contain 64 hex digits.</summary>
    public static byte[]? TryRead(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path, Encoding.ASCII).Trim();
        }
        catch (FileNotFoundException)
        {
            return null;
        }
        catch (UnauthorizedAccessException exception)
        {
            throw new DsoException($"Cannot read the master key {path}: permission denied. Run dso as the user who owns it.", exception);
        }

        if (text.Length != VaultKeys.MasterSecretSize * 2 || !text.All(char.IsAsciiHexDigit))
        {
            return null;
        }

        return Convert.FromHexString(text);
    }

    /// <summary>Writes a new random key to a file that must not exist yet, and fsyncs it.</summary>
    public static void CreateNew(string path)
    {
        byte[] secret = RandomNumberGenerator.GetBytes(VaultKeys.MasterSecretSize);
        byte[] text = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(secret) + "\n");
        try
        {
            using var stream = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = Mode,
            });
            stream.Write(text);
            stream.Flush(flushToDisk: true);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
            CryptographicOperations.ZeroMemory(text);
        }

        Core.IO.Libc.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
    }
}
