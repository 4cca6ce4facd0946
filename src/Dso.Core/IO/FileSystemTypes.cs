namespace Dso.Core.IO;

/// <summary>Linux filesystem magic numbers (linux/magic.h) that dso cares about.</summary>
internal static class FileSystemTypes
{
    public const long Tmpfs = 0x01021994;
    public const long Ramfs = unchecked((long)0x858458f6);
    public const long Nfs = 0x6969;
    public const long Smb = 0x517B;
    public const long Cifs = unchecked((long)0xFF534D42);
    public const long Smb2 = unchecked((long)0xFE534D42);
    public const long Fuse = 0x65735546;

    /// <summary>True for filesystems whose pages live only in memory, so nothing written there reaches a disk.</summary>
    public static bool IsMemoryBacked(string path)
    {
        long type = Libc.FileSystemType(path);
        return type is Tmpfs or Ramfs;
    }

    /// <summary>True for network or FUSE filesystems, where advisory locks and fsync are not to be trusted.</summary>
    public static bool IsNetworkOrFuse(string path) => IsNetworkOrFuse(Libc.FileSystemType(path));

    /// <summary>True when a statfs f_type magic number is NFS, SMB, CIFS, SMB2 or FUSE.</summary>
    public static bool IsNetworkOrFuse(long fileSystemType) =>
        fileSystemType is Nfs or Smb or Cifs or Smb2 or Fuse;
}
