using System.Security.Cryptography;
using Dso.Core.Paths;
using Dso.Vault.Format;
using Dso.Vault.Keys;
using Dso.Vault.Store;

namespace Dso.Vault.Tests.Infrastructure;

/// <summary>
/// A real vault.enc in a throwaway dso home under the system temp folder, opened in-process with
/// <see cref="VaultStore"/>. Everything is removed on dispose.
/// </summary>
internal sealed class TempVault : IDisposable
{
    public const string Passphrase = "correct horse battery staple";

    private TempVault()
    {
        Root = Directory.CreateTempSubdirectory("dso-vault-test-").FullName;
        string home = Path.Combine(Root, "home");
        Directory.CreateDirectory(home, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Paths = new DsoPaths
        {
            Home = home,
            StateDirectory = Path.Combine(Root, "state"),
            LockDirectory = Path.Combine(Root, "locks"),
            SocketPath = Path.Combine(Root, "dso.sock"),
        };
    }

    /// <summary>Argon2id parameters small enough that a test derives a key in milliseconds.</summary>
    public static Argon2Parameters SmallArgon2 { get; } = new(MemoryKib: 1024, Iterations: 1, Parallelism: 1);

    public string Root { get; }

    public DsoPaths Paths { get; }

    public ManualTimeProvider Time { get; } = new();

    public string VaultPath => Paths.VaultPath;

    public string MasterKeyPath => Paths.MasterKeyPath;

    public string NextMasterKeyPath => Paths.NextMasterKeyPath;

    /// <summary>Creates an empty vault under a new random master.key.</summary>
    public static TempVault CreateWithKeyFile()
    {
        var vault = new TempVault();
        MasterKeyFile.CreateNew(vault.MasterKeyPath);
        vault.OpenStore().Create(KdfKind.KeyFile, Argon2Parameters.None);
        return vault;
    }

    /// <summary>Creates an empty vault under <see cref="Passphrase"/> with <see cref="SmallArgon2"/>.</summary>
    public static TempVault CreateWithPassphrase()
    {
        var vault = new TempVault();
        vault.OpenStore().Create(KdfKind.Argon2idPassphrase, SmallArgon2);
        return vault;
    }

    /// <summary>Opens a new store, as a new dso process would, with <paramref name="passphrase"/> for a passphrase vault.</summary>
    public VaultStore OpenStore(string passphrase = Passphrase) =>
        new(Paths, () => new PassphraseKeySource(() => passphrase), Time);

    public void Set(string name, byte[] value)
    {
        VaultStore store = OpenStore();
        store.Update(document =>
        {
            VaultStore.SetEntry(document, name, value, store.Now);
            return (true, 0);
        });
    }

    public byte[] Get(string name) => OpenStore().Load().Entries[name].Value;

    public string HashVault() => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(VaultPath)));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
