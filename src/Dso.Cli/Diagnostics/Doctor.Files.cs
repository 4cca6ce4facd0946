using Dso.Agent.Configuration;
using Dso.Cli.Config;
using Dso.Core;
using Dso.Core.IO;
using Dso.Vault.Format;
using Dso.Vault.Store;

namespace Dso.Cli.Diagnostics;

/// <summary>The file checks of dso doctor: tmpfs for secret files, the vault and key, the config file, state and lock directories.</summary>
internal sealed partial class Doctor
{
    private DoctorCheck CheckSecretFiles()
    {
        const string name = "secret_files";
        string root;
        try
        {
            root = _context.SecretFileRoot;
        }
        catch (DsoException exception)
        {
            return new DoctorCheck(name, DoctorStatus.Error, "no directory for secret files", exception.Message, "set DSO_RUNTIME_DIR to a tmpfs directory, such as /dev/shm/dso-$(id -u)");
        }

        string existing = root;
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }

        bool memory = FileSystemTypes.IsMemoryBacked(existing);
        string where = existing == root ? root : $"{root} (not created yet; {existing} is the nearest existing folder)";
        if (!memory)
        {
            DoctorStatus status = _context.AllowDiskBackedSecretFiles ? DoctorStatus.Warning : DoctorStatus.Error;
            string reason = _context.AllowDiskBackedSecretFiles
                ? "it is not on tmpfs, so secret files reach a disk; allowed by DSO_ALLOW_DISK_SECRETS or secret_files.allow_disk"
                : "it is not on tmpfs, so dso up refuses to write secret files there";
            return new DoctorCheck(name, status, where, reason, "set DSO_RUNTIME_DIR (or secret_files.directory) to a tmpfs directory, such as /dev/shm/dso-$(id -u)");
        }

        if (Directory.Exists(root) && (File.GetUnixFileMode(root) & GroupOrOther) != 0)
        {
            return new DoctorCheck(name, DoctorStatus.Warning, $"{root} on tmpfs, mode {Mode(root)}", "other users can list the projects and services that have secret files", $"chmod 700 {root}")
            {
                Repairs = [Chmod(root, PrivateDirectory)],
            };
        }

        return DoctorCheck.Ok(name, $"{where}, on tmpfs");
    }

    private DoctorCheck CheckVault()
    {
        const string name = "vault";
        var paths = _context.Paths;
        if (!Directory.Exists(paths.Home) || !File.Exists(paths.VaultPath))
        {
            return new DoctorCheck(name, DoctorStatus.Warning, $"no vault at {paths.VaultPath}", "local mode keeps secrets in this vault", "run 'dso bootstrap local'");
        }

        var repairs = new List<DoctorRepair>();
        var problems = new List<string>();
        if ((File.GetUnixFileMode(paths.Home) & GroupOrOther) != 0)
        {
            problems.Add($"{paths.Home} has mode {Mode(paths.Home)}");
            repairs.Add(Chmod(paths.Home, PrivateDirectory));
        }

        foreach (string file in new[] { paths.VaultPath, paths.MasterKeyPath }.Where(File.Exists))
        {
            if ((File.GetUnixFileMode(file) & GroupOrOther) != 0)
            {
                problems.Add($"{file} has mode {Mode(file)}");
                repairs.Add(Chmod(file, PrivateFile));
            }
        }

        if (problems.Count > 0)
        {
            return new DoctorCheck(name, DoctorStatus.Error, string.Join("; ", problems), "other users can read the vault or its key", string.Join("; ", repairs.Select(repair => repair.Description.Split(" (was", 2)[0])))
            {
                Repairs = repairs,
            };
        }

        VaultHeader header;
        try
        {
            header = VaultHeader.Parse(File.ReadAllBytes(paths.VaultPath), paths.VaultPath);
        }
        catch (Exception exception) when (exception is DsoException or IOException or UnauthorizedAccessException)
        {
            return new DoctorCheck(name, DoctorStatus.Error, $"{paths.VaultPath} cannot be read", exception.Message, "restore the vault from a backup, or run dso as its owner");
        }

        if (header.Kdf != KdfKind.KeyFile && _context.Environment("DSO_PASSPHRASE") is not { Length: > 0 })
        {
            return DoctorCheck.Ok(name, $"{paths.VaultPath} (passphrase vault, mode 0600); the passphrase was not checked because DSO_PASSPHRASE is not set");
        }

        try
        {
            int entries = _context.OpenVault().Load().Entries.Count;
            string key = header.Kdf == KdfKind.KeyFile ? $"key {paths.MasterKeyPath}" : "passphrase from DSO_PASSPHRASE";
            return DoctorCheck.Ok(name, $"{paths.VaultPath} opens with the {key}: {entries} secrets; home 0700, files 0600");
        }
        catch (DsoException exception)
        {
            return new DoctorCheck(name, DoctorStatus.Error, $"{paths.VaultPath} does not open", exception.Message, "restore the matching key or vault from a backup");
        }
    }

    private DoctorCheck CheckConfig()
    {
        const string name = "config";
        ConfigLocation location;
        try
        {
            location = _context.ConfigLocation;
            _ = LocalConfig.Load(location);
        }
        catch (DsoException exception)
        {
            return new DoctorCheck(name, DoctorStatus.Error, "the config file is invalid", exception.Message, "correct the file, or point --config or DSO_CONFIG at a valid one");
        }

        string searched = $"searched --config, DSO_CONFIG, {Path.Combine(_context.WorkingDirectory, "dso.yaml")}, {_context.Paths.LocalConfigPath}";
        if (location.Path is null)
        {
            return DoctorCheck.Ok(name, $"no config file, defaults apply ({searched})");
        }

        string detail = $"{location.Path} (from {location.Source}; {searched})";
        UnixFileMode writableByOthers = UnixFileMode.GroupWrite | UnixFileMode.OtherWrite;
        if ((File.GetUnixFileMode(location.Path) & writableByOthers) != 0)
        {
            return new DoctorCheck(name, DoctorStatus.Warning, $"{detail}, mode {Mode(location.Path)}", "other users can change where dso writes secret files", $"chmod go-w {location.Path}")
            {
                Repairs = [Chmod(location.Path, File.GetUnixFileMode(location.Path) & ~writableByOthers)],
            };
        }

        return DoctorCheck.Ok(name, detail);
    }

    /// <summary>
    /// Checks agent mode's files where they exist: the config directory (0750 root:dso at most) and dso.yaml, which
    /// contains provider credentials (0660 root:dso at most), and the agent's state and lock directories (0700).
    /// </summary>
    private DoctorCheck CheckAgentConfig()
    {
        const string name = "agent_config";
        AgentPaths agent = AgentPaths.Resolve(_context.Environment);
        if (!Directory.Exists(agent.EtcDirectory))
        {
            return DoctorCheck.Ok(name, $"no {agent.EtcDirectory} (agent mode is not set up; local mode needs none)");
        }

        const UnixFileMode other = UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;
        var problems = new List<string>();
        var repairs = new List<DoctorRepair>();
        bool credentialsExposed = false;
        if ((File.GetUnixFileMode(agent.EtcDirectory) & (other | UnixFileMode.GroupWrite)) != 0)
        {
            problems.Add($"{agent.EtcDirectory} has mode {Mode(agent.EtcDirectory)} (expected 0750 at most)");
            repairs.Add(Chmod(agent.EtcDirectory, File.GetUnixFileMode(agent.EtcDirectory) & ~other & ~UnixFileMode.GroupWrite));
        }

        if (File.Exists(agent.ConfigPath) && (File.GetUnixFileMode(agent.ConfigPath) & (other | UnixFileMode.UserExecute | UnixFileMode.GroupExecute)) != 0)
        {
            credentialsExposed = (File.GetUnixFileMode(agent.ConfigPath) & other) != 0;
            problems.Add($"{agent.ConfigPath} has mode {Mode(agent.ConfigPath)} (expected 0660 at most)");
            repairs.Add(Chmod(agent.ConfigPath, File.GetUnixFileMode(agent.ConfigPath) & ~other & ~UnixFileMode.UserExecute & ~UnixFileMode.GroupExecute));
        }

        foreach (string directory in new[] { agent.StateDirectory, agent.LockDirectory }.Where(Directory.Exists))
        {
            if (directory != _context.Paths.StateDirectory && directory != _context.Paths.LockDirectory && (File.GetUnixFileMode(directory) & GroupOrOther) != 0)
            {
                problems.Add($"{directory} has mode {Mode(directory)} (expected 0700)");
                repairs.Add(Chmod(directory, PrivateDirectory));
            }
        }

        if (problems.Count == 0)
        {
            string config = File.Exists(agent.ConfigPath) ? $"{agent.ConfigPath}, mode {Mode(agent.ConfigPath)}" : $"no {agent.ConfigPath}";
            return DoctorCheck.Ok(name, $"{agent.EtcDirectory}, mode {Mode(agent.EtcDirectory)}; {config} (agent mode; local commands do not read it)");
        }

        string reason = credentialsExposed ? "every local user can read the provider credentials in the agent's config" : "agent mode's files are looser than its permission rules";
        return new DoctorCheck(name, credentialsExposed ? DoctorStatus.Error : DoctorStatus.Warning, string.Join("; ", problems), reason, string.Join("; ", repairs.Select(repair => repair.Description.Split(" (was", 2)[0])))
        {
            Repairs = repairs,
        };
    }

    private static DoctorCheck CheckPrivateDirectory(string name, string purpose, string path)
    {
        if (!Directory.Exists(path))
        {
            return new DoctorCheck(name, DoctorStatus.Ok, $"{path} does not exist yet; the agent creates it when it starts ({purpose} files)")
            {
                Repairs = [CreateDirectory(path)],
            };
        }

        if ((File.GetUnixFileMode(path) & GroupOrOther) != 0)
        {
            return new DoctorCheck(name, DoctorStatus.Warning, $"{path} has mode {Mode(path)}", $"other users can read or change the agent's {purpose} files", $"chmod 700 {path}")
            {
                Repairs = [Chmod(path, PrivateDirectory)],
            };
        }

        if (FileSystemTypes.IsNetworkOrFuse(path))
        {
            return new DoctorCheck(name, DoctorStatus.Warning, $"{path}, mode 0700, on a network or FUSE filesystem", "locks and fsync there are not reliable", $"point DSO_{(name == "state_dir" ? "STATE" : "LOCK")}_DIR at a local filesystem");
        }

        return DoctorCheck.Ok(name, $"{path}, mode 0700, on a local filesystem");
    }
}
