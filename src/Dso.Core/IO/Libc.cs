using System.Runtime.InteropServices;

namespace Dso.Core.IO;

/// <summary>The few libc calls that .NET does not expose: flock, fsync on a directory, statfs, chown and the caller's ids.</summary>
internal static partial class Libc
{
    public const int LockShared = 1;
    public const int LockExclusive = 2;
    public const int LockNonBlocking = 4;
    public const int LockUnlock = 8;

    private const int OpenReadOnly = 0;
    private const int OpenDirectory = 0x10000;
    private const int OpenCloseOnExec = 0x80000;

    [LibraryImport("libc", SetLastError = true)]
    public static partial int flock(SafeHandle fd, int operation);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenWithMode(string path, int flags, int mode);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int fsync(int fd);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int statfs(string path, out StatFs buffer);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int chown(string path, int owner, int group);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int link(string existingPath, string newPath);

    [LibraryImport("libc")]
    public static partial uint geteuid();

    [LibraryImport("libc")]
    public static partial uint getegid();

    /// <summary>Sends a signal to a process; returns -1 with errno set when it fails.</summary>
    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    /// <summary>
    /// Opens (creating with mode 0600) a file for flock. A raw open, unlike FileStream, never takes .NET's own
    /// non-blocking flock, which would make a second process fail at once instead of waiting.
    /// </summary>
    public static Microsoft.Win32.SafeHandles.SafeFileHandle OpenLockFile(string path)
    {
        const int ReadWrite = 2;
        const int Create = 0x40;
        const int OwnerReadWrite = 0x180;
        int fd = OpenWithMode(path, ReadWrite | Create | OpenCloseOnExec, OwnerReadWrite);
        if (fd < 0)
        {
            throw new IOException($"Failed to open the lock file {path}: {Marshal.GetLastPInvokeErrorMessage()}.");
        }

        return new Microsoft.Win32.SafeHandles.SafeFileHandle(fd, ownsHandle: true);
    }

    /// <summary>
    /// Gives a complete file a second name with link(2), which fails instead of replacing an existing file; returns
    /// false when <paramref name="newPath"/> exists. Readers of the new name never see a partly written file.
    /// </summary>
    public static bool TryLinkNoReplace(string existingPath, string newPath)
    {
        if (link(existingPath, newPath) == 0)
        {
            return true;
        }

        const int FileExists = 17;
        int errno = Marshal.GetLastPInvokeError();
        return errno == FileExists
            ? false
            : throw new IOException($"Failed to link {existingPath} to {newPath}: {Marshal.GetPInvokeErrorMessage(errno)}.");
    }

    /// <summary>Flushes a directory's entries to disk, so that a rename inside it survives a crash.</summary>
    public static void FsyncDirectory(string path)
    {
        int fd = Open(path, OpenReadOnly | OpenDirectory | OpenCloseOnExec);
        if (fd < 0)
        {
            throw new IOException($"Failed to open directory {path} for fsync: {Marshal.GetLastPInvokeErrorMessage()}.");
        }

        try
        {
            if (fsync(fd) != 0)
            {
                throw new IOException($"Failed to fsync directory {path}: {Marshal.GetLastPInvokeErrorMessage()}.");
            }
        }
        finally
        {
            _ = close(fd);
        }
    }

    /// <summary>Returns the filesystem magic number (f_type of statfs) of the filesystem holding a path.</summary>
    public static long FileSystemType(string path)
    {
        if (statfs(path, out StatFs buffer) != 0)
        {
            throw new IOException($"statfs failed on {path}: {Marshal.GetLastPInvokeErrorMessage()}.");
        }

        return buffer.Type;
    }

    public static void Chown(string path, int uid, int gid)
    {
        if (chown(path, uid, gid) != 0)
        {
            throw new IOException($"Failed to change the owner of {path} to {uid}:{gid}: {Marshal.GetLastPInvokeErrorMessage()}.");
        }
    }

    /// <summary>struct statfs on 64-bit Linux; only f_type is read, the rest is room for the kernel to fill.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct StatFs
    {
        public long Type;
        public long BlockSize;
        public unsafe fixed long Rest[14];
    }
}
