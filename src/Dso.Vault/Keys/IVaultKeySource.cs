using Dso.Vault.Format;

namespace Dso.Vault.Keys;

/// <summary>Supplies the 32-byte master secret a vault is encrypted under, given the vault's header.</summary>
internal interface IVaultKeySource
{
    /// <summary>Returns the master secret for the header's KDF and salt; the caller zeroes it after use.</summary>
    byte[] GetMasterSecret(VaultHeader header);
}
