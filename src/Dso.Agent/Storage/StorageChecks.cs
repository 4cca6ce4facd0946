using System.Globalization;
using Dso.Core.IO;

namespace Dso.Agent.Storage;

/// <summary>Checks of the filesystems that hold agent state and locks.</summary>
internal static class StorageChecks
{
    /// <summary>
    /// Returns a warning when <paramref name="path"/> is on NFS, SMB, CIFS or FUSE, or null on a local filesystem.
    /// A path that does not exist yet is checked at its nearest existing parent, where it would be created.
    /// </summary>
    public static string? WarnIfNetworkFileSystem(string path)
    {
        string existing = NearestExisting(Path.GetFullPath(path));
        return WarnIfNetworkFileSystem(path, Libc.FileSystemType(existing));
    }

    /// <summary>Classifies a statfs f_type magic number, so that tests can cover filesystems they cannot mount.</summary>
    internal static string? WarnIfNetworkFileSystem(string path, long fileSystemType)
    {
        if (!FileSystemTypes.IsNetworkOrFuse(fileSystemType))
        {
            return null;
        }

        return $"{path} is on {FileSystemName(fileSystemType)}, a network or FUSE filesystem, where lock files and fsync " +
            "are not reliable: two hosts may hold the same rotation lock, and a crash may lose journal writes. " +
            "Move it to a local filesystem.";
    }

    private static string FileSystemName(long fileSystemType) => fileSystemType switch
    {
        FileSystemTypes.Nfs => "NFS",
        FileSystemTypes.Smb => "SMB",
        FileSystemTypes.Cifs => "CIFS",
        FileSystemTypes.Smb2 => "SMB2",
        FileSystemTypes.Fuse => "FUSE",
        _ => "filesystem type 0x" + fileSystemType.ToString("X", CultureInfo.InvariantCulture),
    };

    private static string NearestExisting(string path)
    {
        string? current = path;
        while (current is not null && !Directory.Exists(current) && !File.Exists(current))
        {
            current = Path.GetDirectoryName(current);
        }

        return current ?? "/";
    }
}
