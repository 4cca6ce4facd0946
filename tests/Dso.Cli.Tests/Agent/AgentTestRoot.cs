using System.Diagnostics;
using System.Security.Cryptography;
using Dso.Cli.Tests.Infrastructure;
using Dso.Core.IO;

namespace Dso.Cli.Tests.Agent;

/// <summary>
/// A throwaway root for agent-mode setup: /etc/dso, /var/lib/dso and /etc/systemd/system inside a temporary
/// folder, and a uniquely named group (dsotestXXXXXXXX) instead of dso. Dispose removes the folder and the group.
/// </summary>
public sealed class AgentTestRoot : IDisposable
{
    private readonly List<string> _immutablePaths = [];

    public AgentTestRoot()
    {
        Home = new TestHome();
        Group = "dsotest" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        Home.Environment["DSO_ETC_DIR"] = EtcDirectory;
        Home.Environment["DSO_STATE_DIR"] = StateDirectory;
        Home.Environment["DSO_LOCK_DIR"] = LockDirectory;
        Home.Environment["DSO_SYSTEMD_DIR"] = SystemdDirectory;
        Home.Environment["DSO_GROUP"] = Group;
    }

    public TestHome Home { get; }

    public string Root => Home.Root;

    public string Group { get; }

    public string EtcDirectory => Path.Combine(Root, "etc", "dso");

    public string ConfigPath => Path.Combine(EtcDirectory, "dso.yaml");

    public string DataDirectory => Path.Combine(Root, "var", "lib", "dso");

    public string StateDirectory => Path.Combine(DataDirectory, "state");

    public string LockDirectory => Path.Combine(DataDirectory, "locks");

    public string SystemdDirectory => Path.Combine(Root, "etc", "systemd", "system");

    public string UnitPath => Path.Combine(SystemdDirectory, "dso-agent.service");

    public Task<DsoResult> BootstrapAsync(params string[] options) =>
        DsoCli.RunAsync(Home, ["bootstrap", "agent", .. options]);

    /// <summary>Returns the group's id, or null when it does not exist.</summary>
    public static int? FindGroupId(string name)
    {
        (int exitCode, string output, _) = Run("getent", "group", name);
        return exitCode == 0 ? int.Parse(output.Split(':')[2], System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    /// <summary>Makes a directory immutable (chattr +i), so that even root cannot create files in it, until Dispose.</summary>
    public void MakeImmutable(string path)
    {
        (int exitCode, _, string error) = Run("chattr", "+i", path);
        Assert.True(exitCode == 0, $"chattr +i {path} failed (the test needs a filesystem with the immutable attribute, such as ext4): {error}");
        _immutablePaths.Add(path);
    }

    /// <summary>Every path under the root with its mode and owner, and for files their modification time and content.</summary>
    public SortedDictionary<string, string> Snapshot()
    {
        var snapshot = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string path in Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories))
        {
            FileStatus status = FileStatus.Read(path)!.Value;
            // A directory's modification time changes when an entry is created and removed again, so only files keep theirs.
            string content = status.IsRegularFile
                ? $"{File.GetLastWriteTimeUtc(path):O} {Convert.ToHexString(File.ReadAllBytes(path))}"
                : "(directory)";
            snapshot[path] = $"{status.Mode} {status.Uid}:{status.Gid} {content}";
        }

        return snapshot;
    }

    public static (int ExitCode, string Output, string Error) Run(string fileName, params string[] arguments)
    {
        var startInfo = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> error = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }

    public void Dispose()
    {
        foreach (string path in _immutablePaths)
        {
            _ = Run("chattr", "-i", path);
        }

        if (FindGroupId(Group) is not null)
        {
            _ = Run("groupdel", Group);
        }

        Home.Dispose();
    }
}
