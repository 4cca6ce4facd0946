using System.Security.Cryptography;
using Dso.Core;
using Dso.Core.IO;
using Dso.Core.Paths;
using Dso.Vault.Format;
using Dso.Vault.Keys;

namespace Dso.Vault.Store;

/// <summary>
/// Reads and writes vault.enc. Every change runs under an exclusive flock on vault.enc.lock, re-reads the vault
/// inside the lock and replaces the file atomically, so concurrent writers lose no update and a crash at any
/// point leaves either the old or the new vault.
/// </summary>
internal sealed class VaultStore
{
    public const UnixFileMode FileMode600 = FileModes.PrivateFile;

    private readonly DsoPaths _paths;
    private readonly Func<IVaultKeySource> _passphraseSource;
    private readonly TimeProvider _time;
    private IVaultKeySource? _passphrase;

    /// <param name="passphraseSource">Creates the source used for a passphrase vault; called at most once.</param>
    public VaultStore(DsoPaths paths, Func<IVaultKeySource> passphraseSource, TimeProvider time)
    {
        _paths = paths;
        _passphraseSource = passphraseSource;
        _time = time;
    }

    public string VaultPath => _paths.VaultPath;

    public bool Exists => File.Exists(_paths.VaultPath);

    /// <summary>Reads the vault without taking the lock; a concurrent rename never shows a partial file.</summary>
    public VaultDocument Load() => LoadWithHeader().Document;

    /// <summary>Reads one entry without materialising the rest of the vault; null when the name is not there.</summary>
    public VaultEntry? LoadEntry(string name) =>
        Open((file, header, secret) => VaultCodec.DecryptEntry(file, header, secret, _paths.VaultPath, name)).Result;

    /// <summary>Applies a change under the lock and saves it; the change returns whether anything changed.</summary>
    public T Update<T>(Func<VaultDocument, (bool Changed, T Result)> change)
    {
        EnsureExists();
        using FileLock fileLock = FileLock.AcquireExclusive(_paths.VaultLockPath);
        AtomicFile.RemoveLeftovers(_paths.VaultPath);
        FinishPendingRekey();

        (VaultHeader header, VaultDocument document) = LoadWithHeader();
        (bool changed, T result) = change(document);
        if (changed)
        {
            document.Revision++;
            Save(header, document);
        }

        return result;
    }

    /// <summary>Sets one entry, creating it at version 1 or raising its version.</summary>
    public static void SetEntry(VaultDocument document, string name, byte[] value, DateTimeOffset now)
    {
        if (document.Entries.TryGetValue(name, out VaultEntry? existing))
        {
            existing.Value = value;
            existing.Updated = now;
            existing.Version++;
        }
        else
        {
            document.Entries[name] = new VaultEntry { Value = value, Created = now, Updated = now, Version = 1 };
        }
    }

    public DateTimeOffset Now => _time.GetUtcNow();

    /// <summary>Creates an empty vault; fails when one exists already.</summary>
    public void Create(KdfKind kdf, Argon2Parameters argon2)
    {
        using FileLock fileLock = FileLock.AcquireExclusive(_paths.VaultLockPath);
        if (File.Exists(_paths.VaultPath))
        {
            throw new DsoException($"The vault {_paths.VaultPath} exists already; it was left untouched.");
        }

        var header = new VaultHeader
        {
            Kdf = kdf,
            Argon2 = kdf == KdfKind.Argon2idPassphrase ? argon2 : Argon2Parameters.None,
            Salt = RandomNumberGenerator.GetBytes(VaultHeader.SaltSize),
            KeyId = new byte[VaultHeader.KeyIdSize],
            Nonce = new byte[VaultHeader.NonceSize],
        };
        Save(header, new VaultDocument());
    }

    /// <summary>
    /// Re-encrypts the vault under a new key. For a key file, the new key is written to master.key.next first, then
    /// the vault, and then master.key is replaced. The next writer finishes a rekey that a crash interrupted, so the
    /// vault stays readable with one of the two key files at every point.
    /// </summary>
    public void Rekey(KdfKind newKdf, IVaultKeySource? newPassphrase, Argon2Parameters argon2)
    {
        EnsureExists();
        using FileLock fileLock = FileLock.AcquireExclusive(_paths.VaultLockPath);
        AtomicFile.RemoveLeftovers(_paths.VaultPath);
        FinishPendingRekey();
        (VaultHeader oldHeader, VaultDocument document) = LoadWithHeader();
        document.Revision++;

        var newHeader = new VaultHeader
        {
            Kdf = newKdf,
            Argon2 = newKdf == KdfKind.Argon2idPassphrase ? argon2 : Argon2Parameters.None,
            Salt = RandomNumberGenerator.GetBytes(VaultHeader.SaltSize),
            KeyId = new byte[VaultHeader.KeyIdSize],
            Nonce = new byte[VaultHeader.NonceSize],
        };

        if (newKdf == KdfKind.KeyFile)
        {
            File.Delete(_paths.NextMasterKeyPath);
            MasterKeyFile.CreateNew(_paths.NextMasterKeyPath);
            byte[] secret = MasterKeyFile.Read(_paths.NextMasterKeyPath);
            try
            {
                AtomicFile.Write(_paths.VaultPath, VaultCodec.Encrypt(document, newHeader, secret), FileMode600);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(secret);
            }

            File.Move(_paths.NextMasterKeyPath, _paths.MasterKeyPath, overwrite: true);
            Libc.FsyncDirectory(_paths.Home);
            return;
        }

        _passphrase = newPassphrase ?? throw new ArgumentNullException(nameof(newPassphrase));
        Save(newHeader, document);
        if (oldHeader.Kdf == KdfKind.KeyFile && File.Exists(_paths.MasterKeyPath))
        {
            // The old key cannot decrypt anything any more; removing it leaves no confusing key beside the vault.
            File.Delete(_paths.MasterKeyPath);
            Libc.FsyncDirectory(_paths.Home);
        }
    }

    /// <summary>Lists files whose permissions let other users read them, with the command that fixes each.</summary>
    public IReadOnlyList<string> FindPermissionProblems()
    {
        var problems = new List<string>();
        const UnixFileMode groupOrOther = FileModes.GroupOrOther;
        foreach (string path in new[] { _paths.VaultPath, _paths.MasterKeyPath })
        {
            if (File.Exists(path) && (File.GetUnixFileMode(path) & groupOrOther) != 0)
            {
                problems.Add($"{path} has mode {FormatMode(File.GetUnixFileMode(path))}, which lets other users read it; run: chmod 600 {path}");
            }
        }

        if (Directory.Exists(_paths.Home) && (File.GetUnixFileMode(_paths.Home) & groupOrOther) != 0)
        {
            problems.Add($"{_paths.Home} has mode {FormatMode(File.GetUnixFileMode(_paths.Home))}; run: chmod 700 {_paths.Home}");
        }

        return problems;
    }

    public static string FormatMode(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0x1FF, 8);

    private void Save(VaultHeader header, VaultDocument document)
    {
        byte[] secret = KeySourceFor(header).GetMasterSecret(header);
        try
        {
            AtomicFile.Write(_paths.VaultPath, VaultCodec.Encrypt(document, header, secret), FileMode600);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private (VaultHeader Header, VaultDocument Document) LoadWithHeader()
    {
        (VaultHeader header, VaultDocument document) = Open((file, header, secret) => VaultCodec.Decrypt(file, header, secret, _paths.VaultPath));
        return (header, document);
    }

    /// <summary>Reads vault.enc, finds the key that matches its header and hands both to <paramref name="decrypt"/>.</summary>
    private (VaultHeader Header, T Result) Open<T>(DecryptFunction<T> decrypt)
    {
        // A reader takes no lock, so a concurrent rekey can replace master.key between this reader's reads of the
        // vault and of the key. Reading both again settles that race; a mismatch that persists is a real one.
        const int MaxAttempts = 3;
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                return OpenOnce(decrypt);
            }
            catch (VaultFormatException exception) when (exception.IsWrongKey && attempt < MaxAttempts)
            {
            }
        }
    }

    private (VaultHeader Header, T Result) OpenOnce<T>(DecryptFunction<T> decrypt)
    {
        string path = _paths.VaultPath;
        byte[] file;
        try
        {
            file = File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            throw MissingVault();
        }
        catch (UnauthorizedAccessException exception)
        {
            throw new DsoException($"Cannot read the vault {path}: permission denied. Run dso as the user who owns it.", exception);
        }

        VaultHeader header = VaultHeader.Parse(file, path);
        byte[] secret = ReadPendingRekeyKey(header) ?? KeySourceFor(header).GetMasterSecret(header);
        try
        {
            if (!VaultCodec.KeyMatches(header, secret))
            {
                string what = header.Kdf == KdfKind.KeyFile ? $"the key in {_paths.MasterKeyPath}" : "the passphrase";
                throw new VaultFormatException(path, $"wrong key: {what} does not match this vault (if the key is right, the vault header's salt or key id is damaged: restore the vault from a backup)")
                {
                    IsWrongKey = true,
                };
            }

            return (header, decrypt(file, header, secret));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    /// <summary>Completes a rekey that stopped after the vault was written but before master.key was replaced.</summary>
    private void FinishPendingRekey()
    {
        if (!File.Exists(_paths.NextMasterKeyPath) || !File.Exists(_paths.VaultPath))
        {
            return;
        }

        VaultHeader header = VaultHeader.Parse(File.ReadAllBytes(_paths.VaultPath), _paths.VaultPath);
        byte[]? pending = ReadPendingRekeyKey(header);
        if (pending is not null)
        {
            CryptographicOperations.ZeroMemory(pending);
            File.Move(_paths.NextMasterKeyPath, _paths.MasterKeyPath, overwrite: true);
        }
        else
        {
            // The rekey stopped before the vault was written under the new key, so the old key or passphrase still opens it.
            File.Delete(_paths.NextMasterKeyPath);
        }

        Libc.FsyncDirectory(_paths.Home);
    }

    /// <summary>
    /// Returns the key in master.key.next when the vault is encrypted under it, and null otherwise. A rekey to a key
    /// file that stops before renaming master.key.next leaves that state, with the old key in master.key, or no
    /// master.key after a passphrase vault. A malformed master.key.next gives null, because a rekey that stopped while
    /// writing it never encrypted the vault under it.
    /// </summary>
    private byte[]? ReadPendingRekeyKey(VaultHeader header)
    {
        if (header.Kdf != KdfKind.KeyFile)
        {
            return null;
        }

        byte[]? next = MasterKeyFile.TryRead(_paths.NextMasterKeyPath);
        if (next is null || VaultCodec.KeyMatches(header, next))
        {
            return next;
        }

        CryptographicOperations.ZeroMemory(next);
        return null;
    }

    private delegate T DecryptFunction<T>(ReadOnlySpan<byte> file, VaultHeader header, ReadOnlySpan<byte> masterSecret);

    private IVaultKeySource KeySourceFor(VaultHeader header) => header.Kdf switch
    {
        KdfKind.KeyFile => new MasterKeyFile(_paths.MasterKeyPath),
        _ => _passphrase ??= _passphraseSource(),
    };

    private void EnsureExists()
    {
        if (!File.Exists(_paths.VaultPath))
        {
            throw MissingVault();
        }
    }

    private DsoException MissingVault() =>
        new($"The vault {_paths.VaultPath} does not exist. Run 'dso bootstrap local' to create it, or set DSO_HOME to the folder that holds it.");
}
