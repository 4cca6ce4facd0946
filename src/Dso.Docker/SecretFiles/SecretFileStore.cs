using Dso.Core;
using Dso.Core.IO;

namespace Dso.Docker.SecretFiles;

/// <summary>
/// Secret files on tmpfs, laid out as ROOT/PROJECT/SERVICE/SECRET-NAME. Each service directory is bind-mounted
/// read-only into its containers, so the files exist before the container's process starts and survive a
/// container restart; they are removed by <see cref="RemoveProject"/> (dso down).
/// </summary>
internal sealed class SecretFileStore
{
    private const UnixFileMode PrivateDirectory = FileModes.PrivateDirectory;

    // Inside a service directory other users may traverse, so a container user that is not root can reach its own
    // files; the root and project directories above stay private to the invoking user on the host.
    private const UnixFileMode SharedDirectory = PrivateDirectory | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute
        | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly bool _allowDiskBacked;

    public SecretFileStore(string root, bool allowDiskBacked)
    {
        Root = root;
        _allowDiskBacked = allowDiskBacked;
    }

    public string Root { get; }

    public string ProjectDirectory(string project) => Path.Combine(Root, project);

    public string ServiceDirectory(string project, string service) => Path.Combine(Root, project, service);

    /// <summary>Creates the private root and project directories, checking that the root is memory-backed.</summary>
    public string PrepareProject(string project)
    {
        CreatePrivateDirectory(Root);
        CheckOwnership(Root);
        if (!_allowDiskBacked && !FileSystemTypes.IsMemoryBacked(Root))
        {
            throw new DsoException($"The secret-file directory {Root} is not on tmpfs, so secret files would reach a disk. " +
                "Point DSO_RUNTIME_DIR at a tmpfs directory, or set DSO_ALLOW_DISK_SECRETS=1 to accept a disk-backed one.");
        }

        string directory = ProjectDirectory(project);
        CreatePrivateDirectory(directory);
        CheckOwnership(directory);
        return directory;
    }

    /// <summary>
    /// Rejects a directory that another user owns or that is a symbolic link: its owner could swap the secret files
    /// that containers read, for example by creating the predictable /dev/shm/dso-UID before dso does.
    /// </summary>
    private static void CheckOwnership(string directory)
    {
        FileStatus status = FileStatus.Read(directory)
            ?? throw new DsoException($"The secret-file directory {directory} disappeared while dso was preparing it.");
        uint owner = Libc.geteuid();
        if (!status.IsDirectory)
        {
            throw new DsoException($"The secret-file path {directory} is not a directory (it may be a symbolic link). Remove it, or point DSO_RUNTIME_DIR elsewhere.");
        }

        if (status.Uid != owner)
        {
            throw new DsoException($"The secret-file directory {directory} is owned by uid {status.Uid}, not by you (uid {owner}), so that user could replace secret files. Remove it, or point DSO_RUNTIME_DIR elsewhere.");
        }
    }

    /// <summary>
    /// Writes one secret file atomically (a temp file in the same directory, then rename), so that a reader sees
    /// the old or the new value and never a partial one.
    /// </summary>
    public string Write(string project, string service, string secretName, ReadOnlySpan<byte> value, int uid, int gid, UnixFileMode mode)
    {
        string serviceDirectory = ServiceDirectory(project, service);
        string path = Path.Combine(serviceDirectory, secretName);
        string parent = Path.GetDirectoryName(path)!;
        for (string? directory = parent; directory is not null && directory.Length >= serviceDirectory.Length; directory = Path.GetDirectoryName(directory))
        {
            if (!Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory, SharedDirectory);
            }

            File.SetUnixFileMode(directory, SharedDirectory);
        }

        if (Directory.Exists(path))
        {
            // A directory left by an earlier run's "NAME/other" secret; the current run has no such secret.
            Directory.Delete(path, recursive: true);
        }

        WriteAtomically(path, Path.Combine(parent, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp"), value, uid, gid, mode);
        return path;
    }

    /// <summary>
    /// Writes <paramref name="value"/> to <paramref name="temp"/> (mode 0600 while it is written), sets its owner and
    /// mode, and renames it over <paramref name="path"/>, so that a reader sees the old or the new value.
    /// </summary>
    internal static void WriteAtomically(string path, string temp, ReadOnlySpan<byte> value, int uid, int gid, UnixFileMode mode)
    {
        try
        {
            using (var stream = new FileStream(temp, new FileStreamOptions
            {
                Mode = FileMode.Create,
                Access = FileAccess.Write,
                Share = FileShare.None,
                UnixCreateMode = FileModes.PrivateFile,
            }))
            {
                stream.Write(value);
            }

            Libc.Chown(temp, uid, gid);
            File.SetUnixFileMode(temp, mode);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    /// <summary>Removes files of a service that are not in <paramref name="keep"/>, left from an earlier run.</summary>
    public void RemoveStale(string project, string service, IReadOnlySet<string> keep)
    {
        string serviceDirectory = ServiceDirectory(project, service);
        if (!Directory.Exists(serviceDirectory))
        {
            return;
        }

        foreach (string file in Directory.EnumerateFiles(serviceDirectory, "*", SearchOption.AllDirectories))
        {
            string name = Path.GetRelativePath(serviceDirectory, file);
            if (!keep.Contains(name))
            {
                Overwrite(file);
                File.Delete(file);
            }
        }
    }

    /// <summary>Removes every secret file of a project; returns how many files were removed.</summary>
    public int RemoveProject(string project)
    {
        string directory = ProjectDirectory(project);
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        int count = 0;
        foreach (string file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            Overwrite(file);

            // Files directly in the project directory, such as the override file, are not secrets.
            if (Path.GetDirectoryName(file) != directory)
            {
                count++;
            }
        }

        Directory.Delete(directory, recursive: true);
        return count;
    }

    /// <summary>Overwrites a file's bytes with zeros before it is unlinked, in case the directory was not tmpfs after all.</summary>
    internal static void Overwrite(string file)
    {
        try
        {
            long length = new FileInfo(file).Length;
            using var stream = new FileStream(file, FileMode.Open, FileAccess.Write, FileShare.ReadWrite);
            stream.Write(new byte[length]);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void CreatePrivateDirectory(string directory)
    {
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, PrivateDirectory);
        }

        File.SetUnixFileMode(directory, PrivateDirectory);
    }
}
