using System.Security.Cryptography;

namespace Dso.Cli.Tests.Infrastructure;

/// <summary>
/// A throwaway dso home: DSO_HOME, the state and lock directories in a temporary folder, and secret files in a
/// private directory on /dev/shm (tmpfs). Everything is removed on dispose.
/// </summary>
public sealed class TestHome : IDisposable
{
    public TestHome()
    {
        Root = Directory.CreateTempSubdirectory("dso-test-").FullName;
        Home = Path.Combine(Root, "home");
        RuntimeDirectory = Path.Combine("/dev/shm", "dso-test-" + Path.GetFileName(Root));
        Environment = new Dictionary<string, string>
        {
            ["DSO_HOME"] = Home,
            ["DSO_STATE_DIR"] = Path.Combine(Root, "state"),
            ["DSO_LOCK_DIR"] = Path.Combine(Root, "locks"),
            ["DSO_RUNTIME_DIR"] = RuntimeDirectory,
            ["DSO_SOCKET"] = Path.Combine(Root, "dso.sock"),
        };
    }

    public string Root { get; }

    public string Home { get; }

    public string RuntimeDirectory { get; }

    public string VaultPath => Path.Combine(Home, "vault.enc");

    public string MasterKeyPath => Path.Combine(Home, "master.key");

    public Dictionary<string, string> Environment { get; }

    /// <summary>Returns the SHA-256 of vault.enc in hex, to tell whether a command changed a byte of it.</summary>
    public string HashVault() => HashFile(VaultPath);

    public static string HashFile(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    /// <summary>Creates the vault with a random key file.</summary>
    public async Task<TestHome> InitializeAsync()
    {
        await DsoCli.RunOkAsync(this, ["bootstrap", "local"]);
        return this;
    }

    public void Dispose()
    {
        TryDelete(Root);
        TryDelete(RuntimeDirectory);
    }

    private static void TryDelete(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
