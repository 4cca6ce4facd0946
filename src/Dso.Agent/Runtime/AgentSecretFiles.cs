using System.Globalization;
using System.Text;
using Dso.Core;
using Dso.Core.IO;
using Dso.Docker.SecretFiles;

namespace Dso.Agent.Runtime;

/// <summary>
/// The agent's secret files on tmpfs: ROOT/agent.d/TARGET/GENERATION/DIRECTORY/FILE, where TARGET and DIRECTORY
/// (the directory inside the container) are escaped into single path segments. Each container bind-mounts its
/// generation's DIRECTORY read-only. A rolling or restart rotation writes a new generation for the new container,
/// so the old container keeps reading the old value until it is removed. Signal and none replace the files of the
/// current generation in place, atomically.
/// </summary>
internal sealed class AgentSecretFiles
{
    /// <summary>A directory name that no Compose project can have (they allow no dot), so dso up's files never meet ours.</summary>
    public const string AgentDirectoryName = "agent.d";

    /// <summary>The generation of files written for a container the agent did not create.</summary>
    public const string InitialGeneration = "g0";

    private const UnixFileMode SharedDirectory = FileModes.PrivateDirectory | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute
        | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly bool _allowDiskBacked;
    private bool _checked;

    public AgentSecretFiles(string root, bool allowDiskBacked)
    {
        Root = Path.Combine(root, AgentDirectoryName);
        _allowDiskBacked = allowDiskBacked;
    }

    /// <summary>ROOT/agent.d.</summary>
    public string Root { get; }

    public string TargetDirectory(string target) => Path.Combine(Root, Escape(target));

    public string GenerationDirectory(string target, string generation) => Path.Combine(TargetDirectory(target), generation);

    /// <summary>The host directory bind-mounted at <paramref name="containerDirectory"/>.</summary>
    public string HostDirectory(string target, string generation, string containerDirectory) =>
        Path.Combine(GenerationDirectory(target, generation), Escape(containerDirectory));

    /// <summary>Returns the generation of a bind-mount source under this target's directory, or null.</summary>
    public string? GenerationOf(string target, string hostDirectory) =>
        Locate(hostDirectory) is { } found && found.Target == target ? found.Generation : null;

    /// <summary>Returns the target and generation of a bind-mount source ROOT/agent.d/TARGET/GENERATION/DIRECTORY, or null.</summary>
    public (string Target, string Generation)? Locate(string hostDirectory)
    {
        if (!hostDirectory.StartsWith(Root + "/", StringComparison.Ordinal))
        {
            return null;
        }

        string[] parts = hostDirectory[(Root.Length + 1)..].Split('/');
        return parts.Length == 3 ? (Unescape(parts[0]), parts[1]) : null;
    }

    /// <summary>Writes one file atomically (temp file, then rename) and returns its host path.</summary>
    public string Write(string target, string generation, string containerPath, ReadOnlySpan<byte> value, int uid, int gid, UnixFileMode mode)
    {
        EnsureRoot();
        string containerDirectory = Path.GetDirectoryName(containerPath)!;
        string directory = HostDirectory(target, generation, containerDirectory);
        CreateDirectory(TargetDirectory(target), FileModes.PrivateDirectory);
        CreateDirectory(GenerationDirectory(target, generation), FileModes.PrivateDirectory);
        CreateDirectory(directory, SharedDirectory);
        string path = Path.Combine(directory, Path.GetFileName(containerPath));
        SecretFileStore.WriteAtomically(path, Path.Combine(directory, $"{AtomicFile.TempPrefix}{Path.GetFileName(containerPath)}.{Environment.ProcessId}"), value, uid, gid, mode);
        return path;
    }

    /// <summary>Removes one generation's files, overwriting them first.</summary>
    public void RemoveGeneration(string target, string generation)
    {
        string directory = GenerationDirectory(target, generation);
        if (!Directory.Exists(directory))
        {
            return;
        }

        foreach (string file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            SecretFileStore.Overwrite(file);
        }

        Directory.Delete(directory, recursive: true);
    }

    /// <summary>Removes the generations of a target that no container mounts any more.</summary>
    public IReadOnlyList<string> RemoveUnused(string target, IReadOnlySet<string> inUse)
    {
        string directory = TargetDirectory(target);
        if (!Directory.Exists(directory))
        {
            return [];
        }

        var removed = new List<string>();
        foreach (string generation in Directory.EnumerateDirectories(directory).Select(Path.GetFileName).OfType<string>())
        {
            if (!inUse.Contains(generation))
            {
                RemoveGeneration(target, generation);
                removed.Add(generation);
            }
        }

        return removed;
    }

    /// <summary>Every target with a directory, unescaped.</summary>
    public IReadOnlyList<string> Targets() =>
        Directory.Exists(Root)
            ? Directory.EnumerateDirectories(Root).Select(path => Unescape(Path.GetFileName(path))).ToList()
            : [];

    /// <summary>
    /// Escapes a target key or container directory into one path segment without ':' (Docker's bind syntax
    /// splits on it): every byte outside [A-Za-z0-9.-] becomes _XX, so "a/b" and "a_b" stay distinct.
    /// </summary>
    public static string Escape(string value)
    {
        var builder = new StringBuilder(value.Length + 8);
        foreach (byte b in Encoding.UTF8.GetBytes(value))
        {
            char c = (char)b;
            if (char.IsAsciiLetterOrDigit(c) || c is '.' or '-')
            {
                builder.Append(c);
            }
            else
            {
                builder.Append('_').Append(b.ToString("x2", CultureInfo.InvariantCulture));
            }
        }

        // "." and ".." are not usable as names; no escaped value starts with a dot otherwise.
        return builder.Length > 0 && builder[0] == '.' ? "_2e" + builder.ToString(1, builder.Length - 1) : builder.ToString();
    }

    public static string Unescape(string escaped)
    {
        var bytes = new List<byte>(escaped.Length);
        for (int i = 0; i < escaped.Length; i++)
        {
            if (escaped[i] == '_' && i + 2 < escaped.Length
                && byte.TryParse(escaped.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out byte b))
            {
                bytes.Add(b);
                i += 2;
            }
            else
            {
                bytes.Add((byte)escaped[i]);
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private void EnsureRoot()
    {
        if (_checked)
        {
            return;
        }

        string parent = Path.GetDirectoryName(Root)!;
        CreateDirectory(parent, FileModes.PrivateDirectory);
        CreateDirectory(Root, FileModes.PrivateDirectory);
        FileStatus status = FileStatus.Read(Root) ?? throw new DsoException($"The secret-file directory {Root} disappeared while the agent was preparing it.");
        if (!status.IsDirectory || status.Uid != Libc.geteuid())
        {
            throw new DsoException($"The secret-file directory {Root} is not a directory owned by uid {Libc.geteuid()}, so another user could replace secret files. Remove it, or point DSO_RUNTIME_DIR elsewhere.");
        }

        if (!_allowDiskBacked && !FileSystemTypes.IsMemoryBacked(Root))
        {
            throw new DsoException($"The secret-file directory {Root} is not on tmpfs, so secret files would reach a disk. " +
                "Point DSO_RUNTIME_DIR at a tmpfs directory, or set DSO_ALLOW_DISK_SECRETS=1 to accept a disk-backed one.");
        }

        _checked = true;
    }

    private static void CreateDirectory(string directory, UnixFileMode mode)
    {
        if (!Directory.Exists(directory))
        {
            Directory.CreateDirectory(directory, mode);
        }

        File.SetUnixFileMode(directory, mode);
    }
}
