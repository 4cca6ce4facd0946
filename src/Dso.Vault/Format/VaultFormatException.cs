using Dso.Core;

namespace Dso.Vault.Format;

/// <summary>A vault file that cannot be read: empty, truncated, tampered, of an unknown version, or under another key.</summary>
public sealed class VaultFormatException : DsoException
{
    public VaultFormatException(string path, string reason)
        : base($"Cannot open the vault {path}: {reason}. The file was left untouched.")
    {
        VaultPath = path;
    }

    public VaultFormatException(string path, string reason, Exception innerException)
        : base($"Cannot open the vault {path}: {reason}. The file was left untouched.", innerException)
    {
        VaultPath = path;
    }

    public VaultFormatException()
    {
        VaultPath = string.Empty;
    }

    public VaultFormatException(string message)
        : base(message)
    {
        VaultPath = string.Empty;
    }

    public string VaultPath { get; }

    /// <summary>True when the key does not match the header, which a concurrent rekey can cause for a moment.</summary>
    public bool IsWrongKey { get; init; }
}
